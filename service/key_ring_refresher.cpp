#include "service/key_ring_refresher.h"

#include <spdlog/spdlog.h>

namespace seedwell {

KeyRingRefresher::KeyRingRefresher(KeyRing& ring, std::chrono::milliseconds interval)
    : ring_(ring), interval_(interval), thread_([this] { Loop(); }) {}

KeyRingRefresher::~KeyRingRefresher() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void KeyRingRefresher::Poke() {
  {
    const std::lock_guard lock(mu_);
    poked_ = true;
  }
  wake_.notify_all();
}

void KeyRingRefresher::Loop() {
  bool failing = false;
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, interval_, [this] { return poked_ || stopping_; });
    if (stopping_) return;
    poked_ = false;
    lock.unlock();
    const auto reloaded = ring_.Reload();
    if (!reloaded && !failing) {
      spdlog::warn("event=key_ring_reload_failed error=\"{}\" note=\"retrying\"",
                   reloaded.error().message);
    } else if (reloaded && *reloaded) {
      spdlog::info("event=signing_key_reloaded active_kid={}", ring_.ActiveKey()->kid());
    }
    failing = !reloaded;
    lock.lock();
  }
}

}  // namespace seedwell

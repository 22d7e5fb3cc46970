#include "service/vm_fork_watcher.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace seedwell {
namespace {

constexpr std::chrono::milliseconds kPollSlice{200};  // how often the thread checks for Stop

}  // namespace

std::unique_ptr<VmForkWatcher> VmForkWatcher::Start(
    UeventListener listener, Drbg& drbg, std::function<void(const Result<void>&)> on_event) {
  return std::unique_ptr<VmForkWatcher>(
      new VmForkWatcher(std::move(listener), drbg, std::move(on_event)));
}

VmForkWatcher::VmForkWatcher(UeventListener listener, Drbg& drbg,
                             std::function<void(const Result<void>&)> on_event)
    : listener_(std::move(listener)), drbg_(drbg), on_event_(std::move(on_event)) {
  thread_ = std::thread([this] { Loop(); });
}

VmForkWatcher::~VmForkWatcher() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void VmForkWatcher::Loop() {
  while (!stopping_.load()) {
    auto event = listener_.WaitForVmgenid(kPollSlice);
    if (!event) {
      spdlog::error("vmgenid: uevent socket failed ({}); VM clones are no longer detected",
                    event.error().message);
      return;
    }
    if (!*event) continue;
    const Result<void> reseeded = drbg_.Reseed();
    events_.fetch_add(1);
    if (reseeded) {
      spdlog::warn("event=vm_generation_changed action=drbg_reseeded generation={}",
                   drbg_.Stats().generation);
    } else {
      spdlog::error(
          "event=vm_generation_changed action=reseed_failed reason=\"{}\" "
          "note=\"retried every second; output stops past the fail-closed grace\"",
          reseeded.error().message);
    }
    if (on_event_) on_event_(reseeded);
  }
}

}  // namespace seedwell

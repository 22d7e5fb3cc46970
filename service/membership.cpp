#include "service/membership.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace seedwell {

Membership::Membership(Store& store, RateLimiter& limiter, ReplicaRecord self,
                       std::function<std::string()> key_id, MembershipOptions options)
    : store_(store),
      limiter_(limiter),
      self_(std::move(self)),
      key_id_(std::move(key_id)),
      options_(options) {
  view_.self_id = self_.id;
}

std::unique_ptr<Membership> Membership::Start(Store& store, RateLimiter& limiter,
                                              ReplicaRecord self,
                                              std::function<std::string()> key_id,
                                              MembershipOptions options) {
  std::unique_ptr<Membership> m(
      new Membership(store, limiter, std::move(self), std::move(key_id), options));
  if (auto beat = m->Beat(); !beat) {
    spdlog::warn("event=heartbeat_failed replica={} error=\"{}\"", m->self_.id,
                 beat.error().message);
  }
  m->thread_ = std::thread([raw = m.get()] { raw->Loop(); });
  return m;
}

Membership::~Membership() { Stop(); }

Result<void> Membership::Beat() {
  ReplicaRecord self = self_;
  if (key_id_) self.key_id = key_id_();
  const Result<void> beat = store_.Heartbeat(self, options_.forget_after);
  Result<std::vector<ReplicaRecord>> listed =
      beat ? store_.ListReplicas(options_.live_within)
           : Result<std::vector<ReplicaRecord>>(tl::unexpected(beat.error()));
  const std::lock_guard lock(mu_);
  if (!listed) {
    view_.stale = true;
    return tl::unexpected(listed.error());
  }
  const bool self_live = std::any_of(listed->begin(), listed->end(), [&](const ReplicaRecord& r) {
    return r.id == self_.id && r.live;
  });
  const auto live = static_cast<std::uint32_t>(
      std::count_if(listed->begin(), listed->end(), [](const ReplicaRecord& r) { return r.live; }));
  const std::uint32_t count = std::max<std::uint32_t>(1, live + (self_live ? 0 : 1));
  if (count != view_.live) {
    spdlog::info("event=cluster_changed replica={} live_replicas={} was={}", self_.id, count,
                 view_.live);
  }
  view_.replicas = std::move(*listed);
  view_.live = count;
  view_.stale = false;
  limiter_.SetShare(count);
  return {};
}

ClusterView Membership::View() const {
  const std::lock_guard lock(mu_);
  return view_;
}

void Membership::Loop() {
  bool failing = false;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, options_.heartbeat_interval, [this] { return stopping_; })) {
    lock.unlock();
    auto beat = Beat();
    if (!beat && !failing) {
      spdlog::warn("event=heartbeat_failed replica={} error=\"{}\" note=\"keeping the last view\"",
                   self_.id, beat.error().message);
    } else if (beat && failing) {
      spdlog::info("event=heartbeat_recovered replica={}", self_.id);
    }
    failing = !beat;
    lock.lock();
  }
}

void Membership::Stop() {
  {
    const std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (auto removed = store_.RemoveReplica(self_.id); !removed) {
    spdlog::warn("event=replica_remove_failed replica={} error=\"{}\"", self_.id,
                 removed.error().message);
  } else {
    spdlog::info("event=replica_left replica={}", self_.id);
  }
}

}  // namespace seedwell

#include "service/store/local_replicas.h"

#include <utility>

#include "crypto/key_ring.h"

namespace seedwell {
namespace {

std::int64_t SystemNowMs() { return static_cast<std::int64_t>(SystemUnixMillis()); }

}  // namespace

LocalReplicas::LocalReplicas(std::function<std::int64_t()> now_ms)
    : now_ms_(now_ms ? std::move(now_ms) : SystemNowMs) {}

void LocalReplicas::Heartbeat(const ReplicaRecord& replica,
                              std::chrono::milliseconds forget_after) {
  const std::int64_t now = now_ms_();
  const std::lock_guard lock(mu_);
  std::erase_if(replicas_, [&](const auto& entry) {
    return entry.first != replica.id && entry.second.last_heartbeat_ms < now - forget_after.count();
  });
  ReplicaRecord& row = replicas_[replica.id];
  row = replica;
  row.last_heartbeat_ms = now;
  row.live = false;
}

std::vector<ReplicaRecord> LocalReplicas::List(std::chrono::milliseconds live_within) const {
  const std::int64_t now = now_ms_();
  const std::lock_guard lock(mu_);
  std::vector<ReplicaRecord> out;
  out.reserve(replicas_.size());
  for (const auto& [id, row] : replicas_) {
    out.push_back(row);
    out.back().live = row.last_heartbeat_ms >= now - live_within.count();
  }
  return out;
}

void LocalReplicas::Remove(std::string_view id) {
  const std::lock_guard lock(mu_);
  if (auto it = replicas_.find(id); it != replicas_.end()) replicas_.erase(it);
}

}  // namespace seedwell

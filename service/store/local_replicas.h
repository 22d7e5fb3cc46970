// LocalReplicas: the replica table of a store that only one process uses (SQLite), kept in
// memory. It implements the membership part of the Store contract (Heartbeat, ListReplicas,
// RemoveReplica) with the same semantics as the PostgreSQL table, on this machine's clock; with
// SQLite the cluster is just the process that opened the store, so nothing needs to outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "service/store/store.h"

namespace seedwell {

class LocalReplicas {
 public:
  // LocalReplicas reads the time (Unix milliseconds) from |now_ms|; the default is the system
  // clock.
  explicit LocalReplicas(std::function<std::int64_t()> now_ms = {});

  // Heartbeat, List and Remove are Store::Heartbeat, ListReplicas and RemoveReplica. Thread-safe;
  // they never fail.
  void Heartbeat(const ReplicaRecord& replica, std::chrono::milliseconds forget_after);
  std::vector<ReplicaRecord> List(std::chrono::milliseconds live_within) const;
  void Remove(std::string_view id);

 private:
  std::function<std::int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::map<std::string, ReplicaRecord, std::less<>> replicas_;  // by id; guarded by mu_
};

}  // namespace seedwell

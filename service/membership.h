// Membership: this `seedwell serve` process as one replica of a cluster sharing one store.
//
// Every heartbeat interval (1 s) a small thread of its own writes this replica's row
// (Store::Heartbeat: id, host, version, started, signing key id; the store stamps the time),
// reads every replica's row back (Store::ListReplicas) and sets the rate limiter's share to
// 1 / live replicas (service/rate_limiter.h). A replica is live while its last heartbeat is at
// most `live_within` (3 s: three missed beats) old, so one that dies, is killed or is cut off
// from the database drops out of the others' share within about 4 s. The thread is its own, not
// the usage flusher's: a slow usage flush (many instances, a slow database) must not make this
// replica look dead to the others.
//
// While the store is unreachable the last view is kept (and marked stale): every replica then
// keeps its last share, so together they still grant at most the budget. Stop (or destruction)
// removes this replica's row, so a clean shutdown leaves the live set at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/result.h"
#include "service/rate_limiter.h"
#include "service/store/store.h"

namespace seedwell {

// MembershipOptions are the heartbeat's timings.
struct MembershipOptions {
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds live_within{3000};      // three missed beats and a replica is not live
  std::chrono::milliseconds forget_after{3600000};  // rows silent for an hour are deleted
};

// ClusterView is what this replica last learnt of the cluster.
struct ClusterView {
  std::string self_id;
  std::vector<ReplicaRecord> replicas;  // in id order, as the store listed them
  std::uint32_t live = 1;               // live replicas, this one included; the rate-limit share
  bool stale = false;                   // the last heartbeat or listing failed
};

class Membership {
 public:
  // Start registers |self| (its key_id is refreshed from |key_id| on every beat; last_heartbeat_ms
  // and live are ignored) with one heartbeat, whose failure is logged, not fatal (the replica
  // runs on, alone in its view, until the store answers), then beats on a thread of its own.
  // |store| and |limiter| must outlive the Membership.
  static std::unique_ptr<Membership> Start(Store& store, RateLimiter& limiter, ReplicaRecord self,
                                           std::function<std::string()> key_id,
                                           MembershipOptions options = {});

  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Beat writes one heartbeat and refreshes the view and the limiter's share; the store's error
  // if either call failed (the previous view is then kept, marked stale). The thread calls it;
  // tests may too.
  Result<void> Beat();

  // View returns a copy of the current view. Thread-safe.
  ClusterView View() const;

  // Stop ends the heartbeat thread and removes this replica's row (a failure is logged).
  // Idempotent.
  void Stop();

 private:
  Membership(Store& store, RateLimiter& limiter, ReplicaRecord self,
             std::function<std::string()> key_id, MembershipOptions options);
  void Loop();

  Store& store_;
  RateLimiter& limiter_;
  ReplicaRecord self_;
  const std::function<std::string()> key_id_;
  const MembershipOptions options_;
  mutable std::mutex mu_;
  ClusterView view_;       // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  bool stopped_ = false;   // guarded by mu_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace seedwell

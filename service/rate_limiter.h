// RateLimiter: per-key token buckets (bytes per second and a burst) plus one global cap, shared by
// every transport, so an instance has one budget whether it asks over HTTP, pollen or EGD.
//
// A bucket holds up to `burst` bytes and refills at `rate` bytes/s. Acquire(n) takes n bytes when
// both the key's bucket and the global bucket hold them, and otherwise takes nothing and says how
// long to wait until they would. Buckets idle longer than it takes to refill are forgotten, so
// memory stays bounded by the number of active keys. Time comes from an injected Clock.
//
// Replicas: N `seedwell serve` processes sharing one database must not grant N times a budget.
// Each enforces its share, budget / N (rate and burst alike), N being the live replicas
// (service/membership.h sets it with SetShare). A client spread over the replicas by a load
// balancer gets its whole budget; one pinned to a single replica gets 1/N of it (docs/replicas.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/clock.h"

namespace seedwell {

// BucketLimits is one bucket's refill rate and capacity, in bytes. A rate of 0 means unlimited.
struct BucketLimits {
  std::uint64_t bytes_per_second = 0;
  std::uint64_t burst_bytes = 0;
};

// Acquisition is the outcome of RateLimiter::Acquire.
struct Acquisition {
  bool granted = false;
  // When not granted: how long until the same request would be granted (at least 1 ms), or
  // std::chrono::milliseconds::max() when it never can (the request exceeds the burst).
  std::chrono::milliseconds retry_after{0};
  bool global = false;  // the global cap, not the key's bucket, refused it
};

class RateLimiter {
 public:
  // RateLimiter uses |clock| for refills; |global| caps all keys together (rate 0: no cap).
  RateLimiter(const Clock& clock, BucketLimits global);

  // Acquire takes |bytes| from |key|'s bucket (created full with |limits| on first use; its limits
  // follow |limits| on every call, which callers take from ShareOf) and from the global bucket
  // (this process's share of the global cap), or from neither. Thread-safe.
  Acquisition Acquire(std::string_view key, std::uint64_t bytes, const BucketLimits& limits);

  // SetShare makes this process enforce 1/|replicas| of every budget (0 counts as 1): the
  // global cap inside Acquire, instance budgets through ShareOf. Thread-safe.
  void SetShare(std::uint32_t replicas);

  // Replicas returns the divisor last set by SetShare (1 at first).
  std::uint32_t Replicas() const { return replicas_.load(std::memory_order_relaxed); }

  // ShareOf returns this process's share of |limits|: both rate and burst divided by Replicas()
  // (rounded down, at least 1 byte); unlimited stays unlimited.
  BucketLimits ShareOf(const BucketLimits& limits) const;

  // TrackedKeys returns how many buckets are held (for tests and metrics).
  std::size_t TrackedKeys() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::TimePoint updated;
  };
  static void Refill(Bucket& bucket, const BucketLimits& limits, Clock::TimePoint now);
  static std::chrono::milliseconds WaitFor(const Bucket& bucket, const BucketLimits& limits,
                                           std::uint64_t bytes);
  void ForgetIdle(Clock::TimePoint now);

  const Clock& clock_;
  const BucketLimits global_limits_;
  std::atomic<std::uint32_t> replicas_{1};
  mutable std::mutex mu_;
  Bucket global_;
  // KeyHash lets buckets_ be searched by string_view (C++20 heterogeneous lookup).
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets_;
  Clock::TimePoint last_sweep_;
};

}  // namespace seedwell

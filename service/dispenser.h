// Dispenser: the one place where an instance's entropy is drawn. It checks the instance is active,
// takes the bytes from the instance's rate bucket (shared by every transport), fills them from the
// DRBG and counts them. Transports (HTTP, pollen, EGD) and the Issuer, which signs what it draws,
// go through it; none touches the DRBG directly.
//
// Usage counters are summed in memory per instance and transport, and written to the store by
// FlushUsage (the serve loop calls it every second), so a guest request never waits for a
// database write; the admin API's usage therefore lags by at most one flush period. Transport
// names are mapped onto the fixed set of service/usage_transport.h (an unknown name counts as
// "other"), which bounds both the pending map and the metric's label values. Requests refused
// (or, for EGD's blocking reads, held back) by a rate limit are counted per transport in the
// optional refusals family, which operators alert on.
//
// The pending usage is bounded: at most |max_pending_usage| (instance, transport) entries wait
// for a flush (kDefaultMaxPendingUsage, about 6 MB). While the store is away (PostgreSQL
// restarting) usage keeps accumulating in them and is written when it returns; an entry already
// pending keeps counting (saturating), so only the usage of an instance and transport first seen
// while the buffer is full is dropped: the guest is still served, its bytes are not counted in
// its usage, and they are added to the optional usage_dropped counter and logged at the next
// flush.
//
// Every draw costs its bucket at least a minimum charge (--rate-min-charge-bytes, 64 by default):
// what a request costs the service (a signature, a DRBG call, a round trip) does not shrink with
// the bytes asked for, so `bytes=1` must not buy 64 times as many requests as `bytes=64`. Usage
// and metrics count the bytes actually handed out; only the bucket is charged the minimum.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/result.h"
#include "service/entropy_service.h"
#include "service/instance.h"
#include "service/metrics.h"
#include "service/rate_limiter.h"
#include "service/registry.h"

namespace seedwell {

class Dispenser {
 public:
  // Dispenser draws from |entropy|, charges |limiter| (instances without their own rate_limit get
  // |default_limits|) at least |min_charge_bytes| a draw (see the top of this file; 0: exactly
  // the bytes) and records usage in |registry|; |bytes_issued| and |refusals| (both labelled by
  // transport) may be null. All must outlive it.
  // |max_pending_usage| bounds the usage waiting for a flush and |usage_dropped| (may be null)
  // counts the bytes dropped past it (see the top of this file).
  Dispenser(EntropyService& entropy, Registry& registry, RateLimiter& limiter,
            BucketLimits default_limits, Family<Counter>* bytes_issued = nullptr,
            Family<Counter>* refusals = nullptr, std::uint64_t min_charge_bytes = 0,
            std::size_t max_pending_usage = kDefaultMaxPendingUsage,
            Counter* usage_dropped = nullptr);

  static constexpr std::size_t kDefaultMaxPendingUsage = 65536;

  // LimitsFor returns the bucket limits that apply to |instance| in this process: its budget (its
  // own rate_limit, else the default), divided among the live replicas (RateLimiter::ShareOf).
  BucketLimits LimitsFor(const Instance& instance) const;

  // ChargeFor returns what a draw of |bytes| costs a bucket with |limits|: |bytes|, raised to the
  // minimum charge but never by the minimum past the burst (so every draw the burst allows stays
  // possible).
  std::uint64_t ChargeFor(std::uint64_t bytes, const BucketLimits& limits) const;

  // Reserve takes ChargeFor(|bytes|) from |instance|'s bucket (and the global cap), or nothing;
  // the Acquisition says how long to wait when refused. It does not check the instance's state.
  Acquisition Reserve(const Instance& instance, std::uint64_t bytes);

  // Fill writes DRBG output into |out| for bytes already reserved, and counts them for the
  // instance and under |transport| (see the top of this file). kUnavailable (|out| zeroed, nothing
  // counted) while the DRBG is failed closed.
  Result<void> Fill(const Instance& instance, std::span<std::uint8_t> out,
                    UsageTransport transport);

  // Draw is Reserve then Fill. kPermissionDenied for a revoked instance; kResourceExhausted when
  // over the limit (counted by RecordRefusal), with the wait stored in |*retry_after| when it is
  // not null.
  Result<void> Draw(const Instance& instance, std::span<std::uint8_t> out, UsageTransport transport,
                    std::chrono::milliseconds* retry_after = nullptr);

  // Nonce fills |out| with a public value from the DRBG (a server-chosen nonce), charged to no
  // bucket and counted as no instance's usage; kUnavailable while the DRBG is failed closed.
  Result<void> Nonce(std::span<std::uint8_t> out) { return entropy_.Generate(out); }

  // RecordRefusal counts one request under |transport| refused, or made to wait, by a rate limit
  // (Draw does it itself; callers of Reserve do it when they are refused). It never fails.
  void RecordRefusal(UsageTransport transport);

  // FlushUsage writes the usage summed since the last flush to the registry, one record per
  // instance and transport. Failures are logged and the bytes kept for the next flush (within
  // the bound), except for an instance deleted meanwhile, whose bytes are dropped. The first
  // kUnavailable (the database is away) ends the flush: the rest is kept without being tried.
  void FlushUsage();

  // PendingUsageEntries returns how many (instance, transport) entries wait for a flush.
  std::size_t PendingUsageEntries();

 private:
  EntropyService& entropy_;
  Registry& registry_;
  RateLimiter& limiter_;
  const BucketLimits default_limits_;
  Family<Counter>* bytes_issued_;
  Family<Counter>* refusals_;
  const std::uint64_t min_charge_bytes_;
  std::mutex usage_mu_;
  // UsageKey is (instance id, transport).
  using UsageKey = std::pair<std::string, UsageTransport>;
  // UsageKeyLess orders UsageKeys and finds one from a (string_view id, transport) pair, so that
  // counting a draw for a known key copies no id.
  struct UsageKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, UsageTransport>(a.first, a.second) <
             std::pair<std::string_view, UsageTransport>(b.first, b.second);
    }
  };
  using UsageMap = std::map<UsageKey, std::uint64_t, UsageKeyLess>;
  // AddPending adds |bytes| to the pending usage of (|id|, |transport|), or drops them when the
  // key is new and the buffer is full. Callers hold usage_mu_.
  void AddPending(std::string_view id, UsageTransport transport, std::uint64_t bytes);

  const std::size_t max_pending_usage_;
  Counter* usage_dropped_;
  UsageMap pending_usage_;                 // guarded by usage_mu_
  std::uint64_t dropped_since_flush_ = 0;  // guarded by usage_mu_
};

}  // namespace seedwell

#include "service/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace seedwell {
namespace {

constexpr std::chrono::seconds kSweepEvery{10};

bool Unlimited(const BucketLimits& limits) { return limits.bytes_per_second == 0; }

}  // namespace

RateLimiter::RateLimiter(const Clock& clock, BucketLimits global)
    : clock_(clock), global_limits_(global), last_sweep_(clock.Now()) {
  global_.tokens = static_cast<double>(global.burst_bytes);
  global_.updated = clock.Now();
}

void RateLimiter::Refill(Bucket& bucket, const BucketLimits& limits, Clock::TimePoint now) {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens += elapsed * static_cast<double>(limits.bytes_per_second);
    bucket.updated = now;
  }
  // Clamped even without refill: the burst shrinks when replicas join (SetShare).
  bucket.tokens = std::min(static_cast<double>(limits.burst_bytes), bucket.tokens);
}

std::chrono::milliseconds RateLimiter::WaitFor(const Bucket& bucket, const BucketLimits& limits,
                                               std::uint64_t bytes) {
  if (bytes > limits.burst_bytes) return std::chrono::milliseconds::max();
  const double missing = static_cast<double>(bytes) - bucket.tokens;
  const double ms = std::ceil(missing * 1000.0 / static_cast<double>(limits.bytes_per_second));
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(ms)));
}

void RateLimiter::SetShare(std::uint32_t replicas) {
  replicas_.store(std::max<std::uint32_t>(1, replicas), std::memory_order_relaxed);
}

BucketLimits RateLimiter::ShareOf(const BucketLimits& limits) const {
  const std::uint64_t n = Replicas();
  if (Unlimited(limits) || n <= 1) return limits;
  return {std::max<std::uint64_t>(1, limits.bytes_per_second / n),
          std::max<std::uint64_t>(1, limits.burst_bytes / n)};
}

Acquisition RateLimiter::Acquire(std::string_view key, std::uint64_t bytes,
                                 const BucketLimits& limits) {
  const Clock::TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  if (now - last_sweep_ >= kSweepEvery) ForgetIdle(now);

  Bucket* bucket = nullptr;
  if (!Unlimited(limits)) {
    auto it = buckets_.find(key);  // a known key: no copy of it
    if (it == buckets_.end()) {
      it = buckets_
               .try_emplace(std::string(key), Bucket{static_cast<double>(limits.burst_bytes), now})
               .first;
    }
    bucket = &it->second;
    Refill(*bucket, limits, now);
    if (bucket->tokens < static_cast<double>(bytes)) {
      return {false, WaitFor(*bucket, limits, bytes), false};
    }
  }
  if (!Unlimited(global_limits_)) {
    const BucketLimits global = ShareOf(global_limits_);
    Refill(global_, global, now);
    if (global_.tokens < static_cast<double>(bytes)) {
      return {false, WaitFor(global_, global, bytes), true};
    }
    global_.tokens -= static_cast<double>(bytes);
  }
  if (bucket != nullptr) bucket->tokens -= static_cast<double>(bytes);
  return {true, std::chrono::milliseconds(0), false};
}

void RateLimiter::ForgetIdle(Clock::TimePoint now) {
  // A bucket idle long enough to have refilled completely is indistinguishable from a new one
  // (new buckets start full), so it can be dropped. Refill never needs more than burst/rate
  // seconds; limits are not kept per bucket, so use a generous fixed horizon.
  constexpr std::chrono::minutes kIdle{10};
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = (now - it->second.updated >= kIdle) ? buckets_.erase(it) : std::next(it);
  }
  last_sweep_ = now;
}

std::size_t RateLimiter::TrackedKeys() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace seedwell

#include "service/dispenser.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include "service/usage_transport.h"

namespace seedwell {

Dispenser::Dispenser(EntropyService& entropy, Registry& registry, RateLimiter& limiter,
                     BucketLimits default_limits, Family<Counter>* bytes_issued,
                     Family<Counter>* refusals, std::uint64_t min_charge_bytes,
                     std::size_t max_pending_usage, Counter* usage_dropped)
    : entropy_(entropy),
      registry_(registry),
      limiter_(limiter),
      default_limits_(default_limits),
      bytes_issued_(bytes_issued),
      refusals_(refusals),
      min_charge_bytes_(min_charge_bytes),
      max_pending_usage_(max_pending_usage),
      usage_dropped_(usage_dropped) {
  // Every transport's series exists from the start (at 0), so that rate() and increase() in
  // alerting rules see the first refusal.
  if (refusals_ != nullptr) {
    for (const UsageTransport transport : kUsageTransports) {
      (void)refusals_->WithLabels({std::string(UsageTransportName(transport))});
    }
  }
}

BucketLimits Dispenser::LimitsFor(const Instance& instance) const {
  if (instance.rate_limit) {
    return limiter_.ShareOf(
        {instance.rate_limit->bytes_per_second, instance.rate_limit->burst_bytes});
  }
  return limiter_.ShareOf(default_limits_);
}

std::uint64_t Dispenser::ChargeFor(std::uint64_t bytes, const BucketLimits& limits) const {
  std::uint64_t floor = min_charge_bytes_;
  if (limits.bytes_per_second > 0) floor = std::min(floor, limits.burst_bytes);
  return std::max(bytes, floor);
}

Acquisition Dispenser::Reserve(const Instance& instance, std::uint64_t bytes) {
  const BucketLimits limits = LimitsFor(instance);
  return limiter_.Acquire(instance.id, ChargeFor(bytes, limits), limits);
}

Result<void> Dispenser::Fill(const Instance& instance, std::span<std::uint8_t> out,
                             UsageTransport transport) {
  if (auto generated = entropy_.Generate(out); !generated) {
    sodium_memzero(out.data(), out.size());
    return generated;
  }
  {
    std::lock_guard lock(usage_mu_);
    AddPending(instance.id, transport, out.size());
  }
  if (bytes_issued_ != nullptr) {
    bytes_issued_->WithLabels({UsageTransportName(transport)})
        .Increment(static_cast<double>(out.size()));
  }
  return {};
}

void Dispenser::RecordRefusal(UsageTransport transport) {
  if (refusals_ == nullptr) return;
  refusals_->WithLabels({UsageTransportName(transport)}).Increment();
}

Result<void> Dispenser::Draw(const Instance& instance, std::span<std::uint8_t> out,
                             UsageTransport transport, std::chrono::milliseconds* retry_after) {
  if (instance.state != InstanceState::kActive) {
    return Fail(ErrorCode::kPermissionDenied, "instance is revoked");
  }
  const Acquisition acquired = Reserve(instance, out.size());
  if (!acquired.granted) {
    RecordRefusal(transport);
    if (retry_after != nullptr) *retry_after = acquired.retry_after;
    return Fail(ErrorCode::kResourceExhausted, acquired.global ? "service-wide rate limit reached"
                                                               : "instance rate limit reached");
  }
  return Fill(instance, out, transport);
}

void Dispenser::AddPending(std::string_view id, UsageTransport transport, std::uint64_t bytes) {
  const std::pair<std::string_view, UsageTransport> key(id, transport);
  if (auto it = pending_usage_.find(key); it != pending_usage_.end()) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    it->second = bytes > kMax - it->second ? kMax : it->second + bytes;
    return;
  }
  if (pending_usage_.size() < max_pending_usage_) {
    pending_usage_.emplace(UsageKey(id, transport), bytes);
    return;
  }
  dropped_since_flush_ += bytes;
  if (usage_dropped_ != nullptr) usage_dropped_->Increment(static_cast<double>(bytes));
}

std::size_t Dispenser::PendingUsageEntries() {
  std::lock_guard lock(usage_mu_);
  return pending_usage_.size();
}

void Dispenser::FlushUsage() {
  UsageMap batch;
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(usage_mu_);
    batch.swap(pending_usage_);
    std::swap(dropped, dropped_since_flush_);
  }
  if (dropped > 0) {
    spdlog::warn(
        "event=usage_dropped bytes={} max_pending_entries={} note=\"usage of instances first seen "
        "while the buffer was full (the store away) is not counted\"",
        dropped, max_pending_usage_);
  }
  for (auto it = batch.begin(); it != batch.end(); ++it) {
    const auto& [id, transport] = it->first;
    auto recorded = registry_.RecordUsage(id, transport, it->second);
    if (recorded || recorded.error().code == ErrorCode::kNotFound) continue;
    const bool away = recorded.error().code == ErrorCode::kUnavailable;
    spdlog::warn(
        "event=usage_flush_failed id={} transport={} bytes={} kept_entries={} error=\"{}\"", id,
        UsageTransportName(transport), it->second, away ? std::distance(it, batch.end()) : 1,
        recorded.error().message);
    std::lock_guard lock(usage_mu_);
    // Keep them for the next flush; while the store is away keep the rest untried as well.
    for (auto keep = it; keep != (away ? batch.end() : std::next(it)); ++keep) {
      AddPending(keep->first.first, keep->first.second, keep->second);
    }
    if (away) return;
  }
}

}  // namespace seedwell

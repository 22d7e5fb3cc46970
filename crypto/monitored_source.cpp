#include "crypto/monitored_source.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "crypto/secret_buffer.h"

namespace seedwell {
namespace {

std::unique_ptr<EntropySource> CheckSource(std::unique_ptr<EntropySource> source) {
  if (source == nullptr) throw std::invalid_argument("MonitoredSource: null source");
  const double h = source->MinEntropyPerByte();
  if (!(h > 0.0 && h <= 8.0)) {
    throw std::invalid_argument("MonitoredSource: H of " + std::string(source->Name()) +
                                " not in (0, 8]");
  }
  return source;
}

void WipeSpan(std::span<std::uint8_t> out) {
  if (!out.empty()) sodium_memzero(out.data(), out.size());
}

long long Milliseconds(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

std::string_view SourceStateName(SourceState state) {
  switch (state) {
    case SourceState::kStarting:
      return "starting";
    case SourceState::kHealthy:
      return "healthy";
    case SourceState::kQuarantined:
      return "quarantined";
    case SourceState::kUnavailable:
      return "unavailable";
    case SourceState::kDisabled:
      return "disabled";
  }
  return "unknown";
}

MonitoredSource::MonitoredSource(std::unique_ptr<EntropySource> source, const Clock& clock,
                                 BackoffPolicy backoff)
    : source_(CheckSource(std::move(source))),
      clock_(clock),
      backoff_(backoff),
      name_(source_->Name()),
      kind_(source_->Kind()),
      h_(source_->MinEntropyPerByte()),
      tests_(h_) {
  status_.name = name_;
  status_.kind = kind_;
  status_.min_entropy_per_byte = h_;
}

MonitoredSource::~MonitoredSource() = default;

Result<void> MonitoredSource::Start() {
  const std::lock_guard<std::mutex> lock(read_mu_);
  return EnsureReadyLocked(clock_.Now());
}

Result<void> MonitoredSource::Read(std::span<std::uint8_t> out) {
  const std::lock_guard<std::mutex> lock(read_mu_);
  if (auto ready = EnsureReadyLocked(clock_.Now()); !ready) {
    WipeSpan(out);
    return ready;
  }
  if (auto read = ReadTimedLocked(out); !read) {
    WipeSpan(out);
    const std::string reason = "read failed: " + read.error().message;
    RecordFailureLocked(SourceState::kUnavailable, reason);
    return Fail(ErrorCode::kUnavailable, name_ + ": " + reason);
  }
  if (const HealthVerdict tested = tests_.Feed(out); !tested) {
    // These bytes failed a test: they must never reach a seed.
    WipeSpan(out);
    RecordFailureLocked(tested.permanent ? SourceState::kDisabled : SourceState::kQuarantined,
                        tested.message, tested.failed);
    return Fail(ErrorCode::kUnavailable, name_ + ": " + tested.message);
  }
  const std::lock_guard<std::mutex> status_lock(status_mu_);
  status_.bytes_delivered += out.size();
  return {};
}

SourceStatus MonitoredSource::Status() const {
  const std::lock_guard<std::mutex> lock(status_mu_);
  SourceStatus snapshot = status_;
  std::uint64_t bytes = 0;
  std::chrono::nanoseconds elapsed{0};
  for (const RateSample& sample : rate_ring_) {
    bytes += sample.bytes;
    elapsed += sample.elapsed;
  }
  if (elapsed.count() > 0) {
    snapshot.read_rate_bytes_per_second =
        static_cast<double>(bytes) / std::chrono::duration<double>(elapsed).count();
  }
  return snapshot;
}

// ---------------------------------------------------------------------------------------------
// State machine (read_mu_ held)
// ---------------------------------------------------------------------------------------------

Result<void> MonitoredSource::EnsureReadyLocked(Clock::TimePoint now) {
  SourceState state{};
  std::string last_failure;
  {
    const std::lock_guard<std::mutex> lock(status_mu_);
    state = status_.state;
    last_failure = status_.last_failure;
  }
  if (state == SourceState::kHealthy) return {};
  if (state == SourceState::kDisabled) {
    return Fail(ErrorCode::kUnavailable,
                name_ + " is disabled (" + last_failure + "); it needs a reset or a restart");
  }
  if (state != SourceState::kStarting && now < retry_at_) {
    return Fail(ErrorCode::kUnavailable, name_ + " is " + std::string(SourceStateName(state)) +
                                             " (" + last_failure + "); retry in " +
                                             std::to_string(Milliseconds(retry_at_ - now)) + " ms");
  }
  const bool retrying = state != SourceState::kStarting;
  if (auto startup = StartupTestLocked(); !startup) return startup;

  std::uint64_t failures = 0;
  {
    const std::lock_guard<std::mutex> lock(status_mu_);
    failures = std::exchange(status_.consecutive_failures, 0);
    status_.state = SourceState::kHealthy;
  }
  if (retrying) {
    spdlog::info("entropy source {} recovered after {} consecutive failure(s)", name_, failures);
  } else {
    spdlog::info("entropy source {} passed its start-up test ({} samples)", name_, kStartupSamples);
  }
  return {};
}

Result<void> MonitoredSource::StartupTestLocked() {
  tests_.Reset();
  // The start-up samples are tested and discarded: SecretArray wipes them on every path.
  SecretArray<kStartupSamples> samples;
  if (auto read = ReadTimedLocked(samples.span()); !read) {
    const std::string reason = "start-up read failed: " + read.error().message;
    RecordFailureLocked(SourceState::kUnavailable, reason);
    return Fail(ErrorCode::kUnavailable, name_ + ": " + reason);
  }
  if (const HealthVerdict tested = tests_.Feed(samples.span()); !tested) {
    const std::string reason = "start-up test: " + tested.message;
    RecordFailureLocked(tested.permanent ? SourceState::kDisabled : SourceState::kQuarantined,
                        reason, HealthTestKind::kStartup);
    return Fail(ErrorCode::kUnavailable, name_ + ": " + reason);
  }
  return {};
}

Result<void> MonitoredSource::ReadTimedLocked(std::span<std::uint8_t> out) {
  const Clock::TimePoint begin = clock_.Now();
  auto result = source_->Read(out);
  const Clock::TimePoint end = clock_.Now();
  if (result) {
    const std::lock_guard<std::mutex> lock(status_mu_);
    rate_ring_[rate_next_] = RateSample{out.size(), end - begin};
    rate_next_ = (rate_next_ + 1) % kRateSamples;
  }
  return result;
}

void MonitoredSource::RecordFailureLocked(SourceState state, const std::string& reason,
                                          HealthTestKind test) {
  tests_.Reset();
  std::uint64_t consecutive = 0;
  {
    const std::lock_guard<std::mutex> lock(status_mu_);
    consecutive = ++status_.consecutive_failures;
    ++status_.failures;
    status_.state = state;
    status_.last_failure = reason;
    if (test == HealthTestKind::kRct) ++status_.rct_failures;
    if (test == HealthTestKind::kApt) ++status_.apt_failures;
    if (test == HealthTestKind::kStartup) ++status_.startup_failures;
    if (state == SourceState::kDisabled) ++status_.permanent_failures;
  }
  if (state == SourceState::kDisabled) {
    spdlog::error(
        "event=source_disabled source={} reason=\"{}\" note=\"permanent health-test failure; "
        "not retried until an operator resets it (admin API) or the process restarts\"",
        name_, reason);
    return;
  }
  // Back-off: initial * 2^(consecutive - 1), capped; the loop is bounded by the cap.
  std::chrono::nanoseconds delay = backoff_.initial;
  for (std::uint64_t i = 1; i < consecutive && delay < backoff_.max; ++i) delay *= 2;
  if (delay > backoff_.max) delay = backoff_.max;
  retry_at_ = clock_.Now() + delay;
  spdlog::warn("entropy source {} {}: {}; retrying in {} ms", name_, SourceStateName(state), reason,
               Milliseconds(delay));
}

Result<void> MonitoredSource::Reset() {
  const std::lock_guard<std::mutex> lock(read_mu_);
  SourceState previous{};
  {
    const std::lock_guard<std::mutex> status_lock(status_mu_);
    previous = status_.state;
    if (previous == SourceState::kHealthy) return {};
    ++status_.resets;
    status_.consecutive_failures = 0;
    status_.state = SourceState::kStarting;
  }
  tests_.Reset();
  retry_at_ = {};
  spdlog::warn("event=source_reset source={} was={}", name_, SourceStateName(previous));
  return EnsureReadyLocked(clock_.Now());
}

}  // namespace seedwell

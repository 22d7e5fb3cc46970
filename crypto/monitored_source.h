// MonitoredSource: a raw entropy source behind continuous health tests, a start-up test,
// quarantine with exponential back-off, a permanent-failure cutoff, and statistics.
//
// Theory of operation. A source starts in kStarting. Before its first byte is used, a start-up test
// reads kStartupSamples bytes, runs the SP 800-90B RCT and APT over them (health_tests.h, SP
// 800-90B 4.3 and 4.4) and wipes them. On success the source is kHealthy and every byte later
// handed out by Read() goes through the same continuous tests first. A test failure at the
// intermittent cutoff moves the source to kQuarantined, and any read error to kUnavailable; in
// both states Read() refuses (kUnavailable) until a back-off delay has passed: 1 s after the first
// failure, doubling with each consecutive failure up to 5 min. The next Read() after that reruns
// the start-up test and, if it passes, logs the recovery and serves again.
//
// Permanent failures. When the same samples also cross the permanent cutoff (alpha 2^-60: a stuck
// or dead generator, not bad luck), the source is kDisabled: it is never retried by itself, and
// only Reset() (an operator's action) or a restart brings it back, through a fresh start-up test.
// Read errors are never permanent: a device that comes back (a restarted virtio-rng backend) is
// used again after back-off.
//
// Output that failed a test is wiped and never returned. Quarantine, disabling, reset and recovery
// are logged (reasons only, never sample values) and counted per test in SourceStatus.
//
// Thread safety: all methods may be called concurrently. Reads are serialised (the wrapped source
// need not be thread-safe); Status() never waits for a read in progress.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "crypto/clock.h"
#include "crypto/entropy_source.h"
#include "crypto/health_tests.h"
#include "crypto/result.h"

namespace seedwell {

// SourceState is where a monitored source stands.
enum class SourceState {
  kStarting,     // the start-up test has not yet passed
  kHealthy,      // serving bytes that pass the continuous tests
  kQuarantined,  // a health test failed; retried after back-off
  kUnavailable,  // reading failed (absent device, timeout, I/O error); retried after back-off
  kDisabled,     // a permanent health-test failure; used again only after Reset() or a restart
};

// SourceStateName returns "starting", "healthy", "quarantined", "unavailable" or "disabled".
std::string_view SourceStateName(SourceState state);

// SourceStatus is a snapshot of one source for status pages, metrics and the seeding policy.
struct SourceStatus {
  std::string name;
  SourceKind kind = SourceKind::kHardware;
  SourceState state = SourceState::kStarting;
  double min_entropy_per_byte = 0;    // the assessed H that sets cutoffs and seed draw sizes
  std::uint64_t bytes_delivered = 0;  // bytes handed out by Read() (start-up samples excluded)
  std::uint64_t failures = 0;         // health-test failures and read errors, ever
  std::uint64_t consecutive_failures = 0;
  // Health-test failures ever, by test: continuous RCT and APT, and the start-up test (either).
  std::uint64_t rct_failures = 0;
  std::uint64_t apt_failures = 0;
  std::uint64_t startup_failures = 0;
  std::uint64_t permanent_failures = 0;   // how many of those crossed the permanent cutoff
  std::uint64_t resets = 0;               // Reset() calls
  std::string last_failure;               // reason of the latest failure; empty if none
  double read_rate_bytes_per_second = 0;  // over the last kRateSamples reads; 0 if unmeasured
};

// BackoffPolicy sets the retry delays of a failed source.
struct BackoffPolicy {
  std::chrono::nanoseconds initial = std::chrono::seconds(1);
  std::chrono::nanoseconds max = std::chrono::minutes(5);
};

// MonitoredSource owns one EntropySource and guards it as described above.
class MonitoredSource {
 public:
  // MonitoredSource takes ownership of |source| and reads time from |clock|, which must outlive
  // it. It throws std::invalid_argument (a start-up error) if |source| is null or its H is not in
  // (0, 8].
  MonitoredSource(std::unique_ptr<EntropySource> source, const Clock& clock,
                  BackoffPolicy backoff = {});
  ~MonitoredSource();
  MonitoredSource(const MonitoredSource&) = delete;
  MonitoredSource& operator=(const MonitoredSource&) = delete;

  // Start runs the start-up test now if the source is starting, or retries it if a back-off has
  // expired; it returns the outcome (kUnavailable with the reason on failure). Read() does the same
  // on demand, so calling Start() is optional.
  Result<void> Start();

  // Read fills |out| with health-tested bytes. It returns kUnavailable (with |out| wiped) while the
  // source is quarantined or unavailable, or when this read fails a test or the source.
  Result<void> Read(std::span<std::uint8_t> out);

  // Reset is the operator's way back for a disabled source (and a "retry now" for a quarantined
  // or unavailable one): it forgets the consecutive failures and the back-off and reruns the
  // start-up test now, returning its outcome. A source that fails it again is quarantined or
  // disabled as usual. A healthy source is left as it is. Statistics are kept.
  Result<void> Reset();

  // Status returns a consistent snapshot of the source's state and statistics.
  SourceStatus Status() const;

  std::string_view Name() const { return name_; }
  SourceKind Kind() const { return kind_; }
  double MinEntropyPerByte() const { return h_; }

  // kRateSamples is the number of recent reads over which the read rate is measured.
  static constexpr std::size_t kRateSamples = 16;

 private:
  // All private methods require read_mu_.
  Result<void> EnsureReadyLocked(Clock::TimePoint now);
  Result<void> StartupTestLocked();
  Result<void> ReadTimedLocked(std::span<std::uint8_t> out);
  void RecordFailureLocked(SourceState state, const std::string& reason,
                           HealthTestKind test = HealthTestKind::kNone);

  const std::unique_ptr<EntropySource> source_;
  const Clock& clock_;
  const BackoffPolicy backoff_;
  const std::string name_;
  const SourceKind kind_;
  const double h_;

  std::mutex read_mu_;  // serialises reads; guards source_, tests_, retry_at_
  HealthTests tests_;
  Clock::TimePoint retry_at_{};

  mutable std::mutex status_mu_;  // guards status_ and the rate ring; never held across a read
  SourceStatus status_;
  struct RateSample {
    std::uint64_t bytes = 0;
    std::chrono::nanoseconds elapsed{0};
  };
  std::array<RateSample, kRateSamples> rate_ring_{};
  std::size_t rate_next_ = 0;
};

}  // namespace seedwell

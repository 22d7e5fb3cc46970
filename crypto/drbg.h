// Drbg: the process's random bit generator: a reseeded root and fast per-thread generators.
//
// Theory of operation
// -------------------
// After the Linux CRNG (drivers/char/random.c): one root ChachaGenerator (chacha_generator.h) is
// seeded from a SeedProvider (the Conditioner in production) and reseeded every reseed_interval
// (60 s by default, as Linux) and after reseed_bytes of output. Each reseed mixes a 64-byte seed
// into the root (Mix: keyed BLAKE2b of the old key and the seed, so a bad seed cannot undo a good
// earlier one) and bumps an atomic generation counter.
//
// Each thread has its own ChachaGenerator per Drbg instance (thread_local, in sodium_malloc'd
// memory, wiped at thread exit), keyed with 32 bytes drawn from the root. Every Generate compares
// the thread's generation with the root's (one atomic load) and rekeys from the root when they
// differ, so a reseed reaches every thread before its next output. The common path takes no lock.
//
// Fork safety: every Generate first reads ForkDetector::Generation() (fork_detector.h). In a
// child it has changed, and the root mixes in 32 fresh getrandom(2) bytes plus the pid and bumps
// its generation, so every thread generator of the child rekeys from a state the parent never had.
// If getrandom fails, the pid still makes the child's output differ, and the child fails closed
// until a SeedProvider reseed succeeds. Root locks are held across fork() (pthread_atfork), so a
// child never inherits a lock held by another thread.
//
// Fail closed: a due reseed that fails is retried at most every reseed_retry from Generate (the
// service's timer also calls MaybeReseed). While the last successful reseed is younger than
// reseed_interval + fail_closed_grace, output continues; past that, Generate returns kUnavailable
// and Ready() is false until a reseed succeeds again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "crypto/chacha_generator.h"
#include "crypto/clock.h"
#include "crypto/result.h"
#include "crypto/seed_provider.h"

namespace seedwell {

// DrbgOptions tunes reseeding and fail-closed behaviour.
struct DrbgOptions {
  std::chrono::seconds reseed_interval{60};     // reseed at least this often
  std::uint64_t reseed_bytes = 1ULL << 30;      // and after this much output (approximate)
  std::chrono::seconds fail_closed_grace{300};  // overdue by more than this: refuse output
  std::chrono::seconds reseed_retry{1};         // Generate retries a failing reseed this often
};

// DrbgStats is a snapshot for metrics and status.
struct DrbgStats {
  std::uint64_t generation;       // root generation; bumps on every reseed and fork
  std::uint64_t reseeds;          // successful reseeds, including the initial seed
  std::uint64_t reseed_failures;  // failed attempts
  std::uint64_t bytes_generated;  // output bytes (per-thread counts are folded in every 4 KiB)
  Clock::TimePoint last_reseed;   // time of the last successful reseed
  bool ready;                     // Ready() at the time of the snapshot
};

namespace internal {
struct DrbgThreadState;
}  // namespace internal

// Drbg is thread-safe. |seeds| and |clock| must outlive it.
class Drbg {
 public:
  // Drbg makes an unseeded generator; call Seed() before use (Generate also seeds lazily).
  Drbg(SeedProvider& seeds, const Clock& clock, DrbgOptions options = {});
  ~Drbg();
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;
  Drbg(Drbg&&) = delete;
  Drbg& operator=(Drbg&&) = delete;

  // Seed performs the initial seeding. It returns the SeedProvider's error (kUnavailable) if no
  // seed is available; calling it again later is allowed and acts as Reseed.
  Result<void> Seed();

  // Generate fills |out| with random bytes (an empty |out| is allowed and does nothing). It
  // returns kUnavailable, with |out| zeroed, while unseeded or failed closed.
  Result<void> Generate(std::span<std::uint8_t> out);

  // MaybeReseed reseeds if a reseed is due (interval elapsed, byte budget spent, or not ready);
  // otherwise it does nothing. It returns the reseed's error, if one was attempted and failed.
  Result<void> MaybeReseed();

  // Reseed gathers a seed and mixes it into the root now; on failure the state is unchanged and
  // the SeedProvider's error is returned.
  Result<void> Reseed();

  // Ready reports whether Generate would currently produce output.
  bool Ready() const;

  // Stats returns a snapshot of the counters.
  DrbgStats Stats() const;

 private:
  using Nanos = std::int64_t;  // Clock time as nanoseconds since its epoch

  Nanos NowNanos() const;
  Nanos CoarseNowNanos() const;
  bool ReadyAt(Nanos now) const;
  bool ReseedDueAt(Nanos now) const;
  void CheckFork();
  void TakeOwnershipAfterFork();
  Result<void> ReseedLocked(Nanos now);
  Result<void> OpportunisticReseed(Nanos now);
  internal::DrbgThreadState& LocalState();
  internal::DrbgThreadState& NewLocalState();
  void RekeyThread(internal::DrbgThreadState& state);
  void FlushBytes(internal::DrbgThreadState& state);

  friend struct DrbgForkRegistry;

  SeedProvider& seeds_;
  const Clock& clock_;
  const SteadyClock* const steady_clock_;  // &clock_ when it is the production clock, else null
  const DrbgOptions options_;
  const std::uint64_t id_;                  // unique per instance, never reused
  const std::shared_ptr<const int> alive_;  // per-thread states watch this to free themselves

  mutable std::mutex mu_;  // guards root_ and reseed attempts
  ChachaGenerator root_;

  std::atomic<bool> seeded_{false};
  std::atomic<bool> healthy_{false};  // false after a failed reseed past the grace period
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> fork_generation_{0};
  std::atomic<Nanos> last_reseed_{0};
  std::atomic<Nanos> next_check_{0};    // a timed reseed is due at or after this time
  std::atomic<Nanos> next_attempt_{0};  // Generate retries a failed reseed no sooner than this
  std::atomic<std::uint64_t> bytes_since_reseed_{0};
  std::atomic<std::uint64_t> bytes_generated_{0};
  std::atomic<std::uint64_t> reseeds_{0};
  std::atomic<std::uint64_t> reseed_failures_{0};
};

}  // namespace seedwell

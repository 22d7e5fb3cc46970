// Conditioner: turns the output of every healthy entropy source into seeds for the root DRBG.
//
// Theory of operation. For each seed we read fresh, health-tested output from every monitored
// source, ceil(256 / H) bytes from a source of min-entropy H per byte (so each contributor alone
// carries >= 256 bits), and hash it all with BLAKE2b-512 (libsodium crypto_generichash, RFC 7693):
//
//   seed = BLAKE2b-512( len || "seedwell conditioner v1" || counter (u64 LE) || time (i64 LE ns)
//                       || for each contributing source: len || name || len (u32 LE) || bytes
//                       || number of contributors (u32 LE) )
//
// BLAKE2b is a good extractor when its input has enough min-entropy and the hash is a random
// oracle, so one good source suffices: an attacker controlling every other input cannot predict
// the seed. A source that is quarantined, unavailable or fails a test on this read is skipped,
// never mixed in (MonitoredSource wipes failed output). The counter and the time make every seed's
// input distinct even if every source repeated itself.
//
// Policy (fail closed). A seed is refused with kUnavailable, and the output wiped, unless (1) at
// least one source of kind kHardware contributed, or allow_kernel_only is set and the kernel did;
// and (2) if required_sources is non-empty, at least one of the named sources contributed. The
// next call tries again, so seeding resumes by itself once a source recovers. A policy that no
// source present could ever meet (only the kernel without allow_kernel_only, say) is refused by
// Create, so that a misconfigured service stops at start instead of answering 503 forever.
//
// Every source read goes into one locked SecretBuffer that is wiped after hashing, and the hash
// state is wiped on every path.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/clock.h"
#include "crypto/egd_source.h"
#include "crypto/hwrng_source.h"
#include "crypto/monitored_source.h"
#include "crypto/secret_buffer.h"
#include "crypto/seed_provider.h"

namespace seedwell {

// SeedingPolicy says which sources a seed must include (see the top of this file).
struct SeedingPolicy {
  // required_sources, if non-empty, names sources of which at least one must contribute.
  std::vector<std::string> required_sources;
  // allow_kernel_only lets the kernel alone satisfy the hardware rule (explicit opt-in).
  bool allow_kernel_only = false;
  // allow_upstream_only lets an upstream EGD source (kUpstream) alone satisfy the hardware rule
  // (explicit opt-in: by default an upstream is mixed in but trusted no more than the kernel).
  bool allow_upstream_only = false;
};

// Conditioner is the production SeedProvider. It is thread-safe; seeds are gathered one at a time.
class Conditioner final : public SeedProvider {
 public:
  // kLabel is the domain-separation label hashed into every seed.
  static constexpr std::string_view kLabel = "seedwell conditioner v1";
  // kMaxDrawBytes bounds the bytes read from one source per seed (reached for H < 0.25).
  static constexpr std::size_t kMaxDrawBytes = 1024;

  // Create takes ownership of |sources| and reads time from |clock| (which must outlive it). It
  // returns kInvalidArgument if there are no sources, two share a name, |policy| requires a name
  // that no source has, or CheckPolicyReachable fails for the sources' kinds.
  static Result<std::unique_ptr<Conditioner>> Create(
      std::vector<std::unique_ptr<MonitoredSource>> sources, const Clock& clock,
      SeedingPolicy policy = {});

  // GatherSeed fills |seed| as described above, or returns kUnavailable naming why the policy
  // was not met (with every source's reason) and wipes |seed|.
  Result<void> GatherSeed(std::span<std::uint8_t, kSeedBytes> seed) override;

  // Statuses returns a snapshot of every source, in the order they were given.
  std::vector<SourceStatus> Statuses() const;

  // ResetSource resets the source named |name| (MonitoredSource::Reset: reruns its start-up test
  // now) and returns its status afterwards; kNotFound if no source has that name. A source that
  // fails the start-up test again is reported in the status, not as an error.
  Result<SourceStatus> ResetSource(std::string_view name);

  // DrawBytes returns how many bytes are read per seed from a source of min-entropy |h| per byte:
  // ceil(256 / h), at most kMaxDrawBytes.
  static std::size_t DrawBytes(double h);

 private:
  Conditioner(std::vector<std::unique_ptr<MonitoredSource>> sources, const Clock& clock,
              SeedingPolicy policy);

  const std::vector<std::unique_ptr<MonitoredSource>> sources_;
  const Clock& clock_;
  const SeedingPolicy policy_;

  std::mutex mu_;  // guards counter_ and scratch_
  std::uint64_t counter_ = 0;
  SecretBuffer scratch_;
};

// CheckPolicyReachable returns kInvalidArgument, saying why, when sources of |kinds| could never
// satisfy |policy| even all healthy: none is kHardware, and neither a kKernel source with
// allow_kernel_only nor a kUpstream one with allow_upstream_only is among them.
Result<void> CheckPolicyReachable(std::span<const SourceKind> kinds, const SeedingPolicy& policy);

// SourceOptions chooses which sources DetectSources tries.
struct SourceOptions {
  bool rdseed = true;
  bool rdrand = true;
  bool hwrng = true;
  bool kernel = true;
  std::string hwrng_path = HwrngSource::kDefaultPath;
  std::chrono::milliseconds hwrng_timeout = HwrngSource::kDefaultTimeout;
  BackoffPolicy backoff;
  // upstream_egd, when not empty, adds an EgdSource reading from that address (egd_source.h).
  std::string upstream_egd;
  std::chrono::milliseconds upstream_egd_timeout = EgdSource::kDefaultTimeout;
  double upstream_egd_min_entropy = EgdSource::kDefaultMinEntropyPerByte;
};

// DetectSources creates a MonitoredSource for every enabled source that exists on this machine,
// runs its start-up test (a failing one stays, quarantined, and is retried later), and logs what it
// found and what it skipped. It never fails; the result may be empty.
std::vector<std::unique_ptr<MonitoredSource>> DetectSources(const SourceOptions& options,
                                                            const Clock& clock);

}  // namespace seedwell

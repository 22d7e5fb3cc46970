// EntropySource: the one interface behind which every raw entropy source sits (RDSEED, RDRAND,
// a hardware RNG device, the kernel's getrandom, an upstream EGD server).
//
// A source only produces raw bytes. Health testing, quarantine and statistics are added by
// MonitoredSource (monitored_source.h), and mixing into seeds by the Conditioner.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.h"

namespace seedwell {

// SourceKind says what a source is, for the seeding policy: by default at least one kHardware
// source must be healthy; kernel-only operation is an explicit opt-in.
enum class SourceKind {
  kHardware,  // RDSEED, RDRAND, /dev/hwrng
  kKernel,    // getrandom(2)
  kUpstream,  // another EGD server
};

// SourceKindName returns "hardware", "kernel" or "upstream".
std::string_view SourceKindName(SourceKind kind);

// EntropySource produces raw bytes. Implementations need not be thread-safe: MonitoredSource
// serialises calls.
class EntropySource {
 public:
  virtual ~EntropySource() = default;

  // Name returns a short stable name used in logs, metrics and status ("rdseed", "hwrng", ...).
  virtual std::string_view Name() const = 0;

  // Kind returns the source's kind for the seeding policy.
  virtual SourceKind Kind() const = 0;

  // MinEntropyPerByte returns the assessed min-entropy H, in bits, of one 8-bit sample of this
  // source's output (0 < H <= 8). It sets the health tests' cutoffs.
  virtual double MinEntropyPerByte() const = 0;

  // Read fills all of |out| with raw output, or returns an error and leaves |out| unspecified:
  // kUnavailable when the source is absent, times out or fails; it never blocks unboundedly.
  virtual Result<void> Read(std::span<std::uint8_t> out) = 0;
};

}  // namespace seedwell

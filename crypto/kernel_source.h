// KernelSource: the Linux kernel's CRNG through getrandom(2).
//
// Theory of operation. getrandom(2) returns output of the kernel's ChaCha20 CRNG, which the kernel
// seeds and reseeds from its own entropy pool (drivers/char/random.c). We call it with
// GRND_NONBLOCK so that a read is never unbounded: before the pool is initialised (early boot) the
// call fails with EAGAIN and we report kUnavailable, and MonitoredSource retries later. EINTR is
// retried and short reads are continued; any other error is reported.
//
// Min-entropy. The output is already conditioned by a cryptographic generator, so we assess
// H = 8 bits per byte: the health tests then use their tightest cutoffs (RCT 5, APT 16 in 512),
// which a working CSPRNG trips only with probability about 2^-30 per window, and the Conditioner
// draws 32 bytes (256 bits) from it per seed. Its Kind is kKernel, so by default it never satisfies
// the seeding policy alone (see conditioner.h).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/entropy_source.h"

namespace seedwell {

// GetrandomFunction has the signature of getrandom(2); tests substitute one that fails or
// returns short reads.
using GetrandomFunction = ssize_t (*)(void* buf, std::size_t len, unsigned int flags);

// KernelSource reads getrandom(2). It is always available on Linux >= 3.17.
class KernelSource final : public EntropySource {
 public:
  // kMinEntropyPerByte is this source's assessed H (see the top of this file).
  static constexpr double kMinEntropyPerByte = 8.0;

  // KernelSource uses |getrandom| (by default the real system call) for every read.
  explicit KernelSource(GetrandomFunction getrandom = nullptr);

  std::string_view Name() const override { return "kernel"; }
  SourceKind Kind() const override { return SourceKind::kKernel; }
  double MinEntropyPerByte() const override { return kMinEntropyPerByte; }

  // Read fills |out| from getrandom(2). It returns kUnavailable if the kernel's pool is not yet
  // initialised or the call fails; it retries EINTR and continues short reads.
  Result<void> Read(std::span<std::uint8_t> out) override;

 private:
  GetrandomFunction getrandom_;
};

}  // namespace seedwell

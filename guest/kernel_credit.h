// KernelCredit: hands verified seed bytes to the guest kernel's random number generator.
//
// Theory of operation: the RNDADDENTROPY ioctl on /dev/random mixes the bytes in *and* credits
// them as entropy, which is what unblocks a starving boot; it needs CAP_SYS_ADMIN. Without that
// privilege (or on a device that does not take the ioctl) the bytes are written to /dev/urandom
// instead, which mixes them in but credits nothing; the outcome says which happened so the caller
// can tell the operator. Each call credits 8 bits per byte: the bytes are full-entropy output of
// seedwell's hardware-seeded DRBG, verified as coming from the service. (The kernel caps what it
// counts at its pool size anyway.) The ioctl's buffer is wiped memory.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "crypto/result.h"

namespace seedwell {

// CreditOutcome says how the bytes reached the kernel.
enum class CreditOutcome {
  kCredited,   // RNDADDENTROPY: mixed in and counted as entropy
  kMixedOnly,  // written to the urandom device: mixed in, not counted
};

// CreditKernel gives |bytes| to the kernel as described above: RNDADDENTROPY on |random_device|,
// or, when that fails with EPERM, EACCES, ENOTTY or EINVAL, a write to |urandom_device| (|reason|
// then says why crediting was not possible). It fails with kUnavailable when neither works.
Result<CreditOutcome> CreditKernel(std::span<const std::uint8_t> bytes,
                                   const std::string& random_device,
                                   const std::string& urandom_device, std::string* reason);

// ReseedKernelCrng asks the kernel to reseed its CRNG from its input pool now (RNDRESEEDCRNG on
// |random_device|), so bytes just credited reach getrandom() output at once. kPermissionDenied
// without CAP_SYS_ADMIN, kUnavailable otherwise (e.g. a kernel before 4.17, or not a random
// device).
Result<void> ReseedKernelCrng(const std::string& random_device);

}  // namespace seedwell

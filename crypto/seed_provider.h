// SeedProvider: where the root DRBG gets its seeds. The Conditioner implements it in production;
// tests substitute fakes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/result.h"

namespace seedwell {

// kSeedBytes is the size of one seed handed to the DRBG: 256 bits for the ChaCha20 key plus 256
// bits of margin that are hashed in with it.
inline constexpr std::size_t kSeedBytes = 64;

// SeedProvider produces full-entropy seeds. Implementations must be thread-safe.
class SeedProvider {
 public:
  virtual ~SeedProvider() = default;

  // GatherSeed fills |seed| with a fresh seed. It returns kUnavailable when the seeding policy is
  // not met (for example no required source is healthy); |seed| is then wiped.
  virtual Result<void> GatherSeed(std::span<std::uint8_t, kSeedBytes> seed) = 0;
};

}  // namespace seedwell

// Seed file: seedwell's own raw seed on a config drive (seedwell/seed.json), an authenticated
// block (docs/block-format.md) bound to the instance, with a nonce the server chose.
//
// Format (one JSON object, no whitespace, docs/config-drive.md):
//   {"format":"seedwell-seed-v1","instance_id":"<uuid>","kid":"sw1_...","public_key":"<b64>",
//    "issued_at_unix_ms":N,"nonce":"<b64>","sealed":false,"data":"<b64>","signature":"<b64>"}
// The signature is Ed25519 over the canonical block bytes of (instance_id, nonce, issued_at, kid,
// sealed = 0, data). The seed is never put in a std::string: the text is assembled in a
// SecretBuffer. |public_key| is a convenience; a verifier must pin the key from a trusted source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "crypto/block_wire.h"
#include "crypto/result.h"
#include "crypto/secret_buffer.h"
#include "crypto/signing_key.h"

namespace seedwell {

using block_wire::kSeedFileFormat;
inline constexpr std::size_t kDefaultSeedFileBytes = 4096;
inline constexpr std::size_t kMinSeedFileBytes = 32;
inline constexpr std::size_t kMaxSeedFileBytes = 65536;
inline constexpr std::size_t kSeedNonceBytes = 16;

// RandomFill fills its argument with fresh DRBG output, or fails (kUnavailable when failed closed).
using RandomFill = std::function<Result<void>(std::span<std::uint8_t>)>;

// MakeSeedFile draws |seed_bytes| of seed and a nonce from |random|, signs them with |key| as a
// block for |instance_id| issued at |now_unix_ms|, and returns the seed.json text in a new
// SecretBuffer. kInvalidArgument if |seed_bytes| is outside [kMinSeedFileBytes,
// kMaxSeedFileBytes]; |random|'s error if it fails. Every temporary is wiped.
Result<SecretBuffer> MakeSeedFile(std::string_view instance_id, std::size_t seed_bytes,
                                  std::uint64_t now_unix_ms, const SigningKey& key,
                                  const RandomFill& random);

}  // namespace seedwell

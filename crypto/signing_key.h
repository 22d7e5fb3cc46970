// SigningKey: an Ed25519 key pair for signing entropy blocks, and its key file.
//
// Theory of operation: Ed25519 (RFC 8032) via libsodium. A key is its 32-byte seed; the 64-byte
// libsodium secret key (seed || public key) is derived from it with crypto_sign_seed_keypair and
// kept in a SecretBuffer (locked, guarded, wiped on free). Signing is deterministic and the key is
// immutable after construction, so one SigningKey may sign on many threads at once.
//
// Key id: "sw1_" followed by the lowercase hex of the first 16 bytes of SHA-256(public key), e.g.
// "sw1_" + 32 hex digits. It names the key in blocks and listings; anyone holding the public key
// can recompute it.
//
// Key file: one line of ASCII text, "seedwell-ed25519-seed-v1 " followed by the standard base64
// (with padding) of the 32-byte seed and a single "\n". The file must be a regular file readable
// by its owner only (mode 0600 or stricter); Load refuses anything else. Save writes it atomically
// (temporary file in the same directory created 0600, fsync, rename, fsync of the directory).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

// kEd25519KeyFileHeader starts every key file, followed by one space and the base64 seed.
inline constexpr std::string_view kEd25519KeyFileHeader = "seedwell-ed25519-seed-v1";

using Ed25519PublicKey = std::array<std::uint8_t, kEd25519PublicKeyBytes>;
using Ed25519Signature = std::array<std::uint8_t, kEd25519SignatureBytes>;

// KeyIdFor returns the key id of |public_key|: "sw1_" + hex(SHA-256(public_key)[0:16]).
std::string KeyIdFor(const Ed25519PublicKey& public_key);

// VerifyEd25519 returns true if |signature| is a valid Ed25519 signature of |message| under
// |public_key| (libsodium's strict verification: non-canonical encodings and small-order keys
// are rejected).
bool VerifyEd25519(const Ed25519PublicKey& public_key, std::span<const std::uint8_t> message,
                   const Ed25519Signature& signature);

// SigningKey owns an Ed25519 secret key. It is movable, not copyable; the secret is wiped when the
// key is destroyed.
class SigningKey {
 public:
  // Generate makes a fresh key from libsodium's randombytes (the kernel CSPRNG).
  static SigningKey Generate();

  // FromSeed derives the key pair from a 32-byte |seed| (the RFC 8032 "secret key"). The caller
  // keeps ownership of |seed| and should wipe it.
  static SigningKey FromSeed(std::span<const std::uint8_t, kEd25519SeedBytes> seed);

  // Load reads a key file written by Save. It fails with kNotFound if |path| does not exist,
  // kPermissionDenied if the file is not a regular file or is accessible to group or others, and
  // kInvalidArgument if it is malformed. Messages name |path|, never key bytes.
  static Result<SigningKey> Load(const std::filesystem::path& path);

  // Save writes the key to |path| atomically with mode 0600, replacing any existing file. On
  // failure the temporary file is removed and |path| is left as it was.
  Result<void> Save(const std::filesystem::path& path) const;

  // Sign returns the Ed25519 signature of |message|. It is thread-safe.
  Ed25519Signature Sign(std::span<const std::uint8_t> message) const;

  // public_key returns the 32-byte Ed25519 public key.
  const Ed25519PublicKey& public_key() const { return public_key_; }

  // kid returns the key id (see KeyIdFor).
  const std::string& kid() const { return kid_; }

  // seed returns the 32-byte secret seed, for sealing it (sealed_signing_key.h); it stays owned by
  // this key. Never log it or copy it into memory that is not wiped.
  std::span<const std::uint8_t, kEd25519SeedBytes> seed() const {
    return std::span<const std::uint8_t, kEd25519SeedBytes>(secret_key_.data(), kEd25519SeedBytes);
  }

 private:
  SigningKey() = default;

  SecretBuffer secret_key_;  // libsodium's 64-byte secret key: seed || public key
  Ed25519PublicKey public_key_{};
  std::string kid_;
};

// WriteFileAtomically replaces |path| with |contents|: it writes a temporary file in the same
// directory created with |mode|, fsyncs it, renames it over |path| and fsyncs the directory. On
// failure it removes the temporary file and returns kUnavailable naming |path|.
Result<void> WriteFileAtomically(const std::filesystem::path& path,
                                 std::span<const std::uint8_t> contents, mode_t mode);

}  // namespace seedwell

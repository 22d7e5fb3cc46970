// Sealed boxes: anonymous public-key encryption of entropy to a guest's X25519 key.
//
// Theory of operation: libsodium's crypto_box_seal. The sender makes an ephemeral X25519 key pair,
// derives a shared key with the recipient's public key, and encrypts with XSalsa20-Poly1305 under a
// nonce of BLAKE2b(ephemeral_pk || recipient_pk); the output is ephemeral_pk (32 bytes) || MAC (16)
// || ciphertext, so a box is 48 bytes longer than its plaintext. Only the holder of the recipient's
// secret key can open it; a changed byte makes opening fail. The sender is anonymous: the block
// signature, not the box, says who sent it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

inline constexpr std::size_t kX25519PublicKeyBytes = 32;
inline constexpr std::size_t kX25519SecretKeyBytes = 32;
// kSealOverheadBytes is how much longer a sealed box is than its plaintext.
inline constexpr std::size_t kSealOverheadBytes = 48;

using X25519PublicKey = std::array<std::uint8_t, kX25519PublicKeyBytes>;

// SealingKeyPair is an X25519 key pair whose secret lives in a SecretBuffer. Movable, not copyable.
class SealingKeyPair {
 public:
  // Generate makes a fresh key pair from libsodium's randombytes.
  static SealingKeyPair Generate();
  // FromSecretKey rebuilds the pair from a 32-byte X25519 secret key (the public key is derived).
  // The caller keeps ownership of |secret_key| and should wipe it.
  static SealingKeyPair FromSecretKey(
      std::span<const std::uint8_t, kX25519SecretKeyBytes> secret_key);

  // public_key returns the 32-byte X25519 public key.
  const X25519PublicKey& public_key() const { return public_key_; }

  // secret_key returns the 32-byte secret key; it stays owned by this object.
  std::span<const std::uint8_t> secret_key() const { return secret_key_.span(); }

 private:
  SealingKeyPair() = default;

  X25519PublicKey public_key_{};
  SecretBuffer secret_key_;
};

// Seal encrypts |plaintext| to |recipient| and returns the sealed box (not secret). It fails with
// kInvalidArgument if |recipient| is a low-order point (the shared key would be predictable).
Result<std::vector<std::uint8_t>> Seal(const X25519PublicKey& recipient,
                                       std::span<const std::uint8_t> plaintext);

// Open decrypts |sealed| with |key_pair| and returns the plaintext in a new SecretBuffer. It fails
// with kInvalidArgument if |sealed| is shorter than kSealOverheadBytes, and kUnauthenticated if it
// was not sealed to |key_pair| or was altered.
Result<SecretBuffer> Open(const SealingKeyPair& key_pair, std::span<const std::uint8_t> sealed);

// ParseX25519PublicKey decodes a padded standard base64 X25519 public key. It fails with
// kInvalidArgument unless |base64| decodes to exactly 32 bytes that are not a low-order point.
Result<X25519PublicKey> ParseX25519PublicKey(std::string_view base64);

}  // namespace seedwell

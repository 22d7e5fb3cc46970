// Sealed signing keys: an Ed25519 seed encrypted under the key-encryption key, so a database
// that stores the key ring never holds a private key in plaintext.
//
// Theory of operation: XChaCha20-Poly1305 (libsodium's crypto_aead_xchacha20poly1305_ietf; the
// IETF ChaCha20-Poly1305 AEAD of RFC 8439 with HChaCha20's 192-bit nonce extension), keyed by the
// 32-byte KEK. Each seal draws a fresh random 24-byte nonce (random nonces are safe at this size),
// so sealing one seed twice gives unrelated ciphertexts. The additional data binds the ciphertext
// to what it is and whose it is:
//     AD = kSealedSigningKeyLabel || 0x00 || kid
// so a sealed seed copied onto another key's row, or read by a later format, fails to open rather
// than being used as the wrong key. The sealed form is nonce (24) || ciphertext (32) || tag (16),
// kSealedSigningKeyBytes in all; it is not secret. Opening checks the tag (a wrong KEK or any
// changed byte fails, in constant time) and that the seed's public key has the kid it was sealed
// under. The seed only ever exists in wiped memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/key_encryption_key.h"
#include "crypto/result.h"
#include "crypto/signing_key.h"

namespace seedwell {

// kSealedSigningKeyLabel names the purpose and version of a sealed seed; it starts the AD.
inline constexpr std::string_view kSealedSigningKeyLabel = "seedwell-sealed-ed25519-seed-v1";
// kSealNonceBytes is the XChaCha20-Poly1305 nonce size; kSealTagBytes its tag size.
inline constexpr std::size_t kSealNonceBytes = 24;
inline constexpr std::size_t kSealTagBytes = 16;
// kSealedSigningKeyBytes is the size of a sealed seed: nonce, encrypted seed, tag.
inline constexpr std::size_t kSealedSigningKeyBytes =
    kSealNonceBytes + kEd25519SeedBytes + kSealTagBytes;

// SealSigningKey encrypts |key|'s seed under |kek|, bound to the key's kid (see the top of this
// file), and returns the sealed form (kSealedSigningKeyBytes, not secret).
std::vector<std::uint8_t> SealSigningKey(const KeyEncryptionKey& kek, const SigningKey& key);

// OpenSealedSigningKey decrypts |sealed| under |kek| with |kid| in the AD and returns the key. It
// fails with kInvalidArgument if |sealed| is not kSealedSigningKeyBytes long, kUnauthenticated if
// the tag does not verify (a wrong KEK, another key's kid, any altered byte), and
// kInvalidArgument if the opened seed's public key does not have |kid|. Messages name |kid| only.
Result<SigningKey> OpenSealedSigningKey(const KeyEncryptionKey& kek, std::string_view kid,
                                        std::span<const std::uint8_t> sealed);

}  // namespace seedwell

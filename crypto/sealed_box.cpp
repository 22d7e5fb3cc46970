#include "crypto/sealed_box.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/encoding.h"

namespace seedwell {

static_assert(crypto_box_SEALBYTES == kSealOverheadBytes);
static_assert(crypto_box_PUBLICKEYBYTES == kX25519PublicKeyBytes);
static_assert(crypto_box_SECRETKEYBYTES == kX25519SecretKeyBytes);

SealingKeyPair SealingKeyPair::Generate() {
  EnsureSodium();
  SealingKeyPair pair;
  pair.secret_key_ = SecretBuffer(kX25519SecretKeyBytes);
  crypto_box_keypair(pair.public_key_.data(), pair.secret_key_.data());
  return pair;
}

SealingKeyPair SealingKeyPair::FromSecretKey(
    std::span<const std::uint8_t, kX25519SecretKeyBytes> secret_key) {
  EnsureSodium();
  SealingKeyPair pair;
  pair.secret_key_ = SecretBuffer(kX25519SecretKeyBytes);
  std::copy(secret_key.begin(), secret_key.end(), pair.secret_key_.data());
  crypto_scalarmult_base(pair.public_key_.data(), pair.secret_key_.data());
  return pair;
}

Result<std::vector<std::uint8_t>> Seal(const X25519PublicKey& recipient,
                                       std::span<const std::uint8_t> plaintext) {
  EnsureSodium();
  std::vector<std::uint8_t> sealed(plaintext.size() + kSealOverheadBytes);
  // crypto_box_seal fails when the X25519 shared secret is all zeros (a low-order recipient key).
  if (crypto_box_seal(sealed.data(), plaintext.data(), plaintext.size(), recipient.data()) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "recipient public key is not usable for sealing");
  }
  return sealed;
}

Result<SecretBuffer> Open(const SealingKeyPair& key_pair, std::span<const std::uint8_t> sealed) {
  EnsureSodium();
  if (sealed.size() < kSealOverheadBytes) {
    return Fail(ErrorCode::kInvalidArgument, "sealed box is too short");
  }
  SecretBuffer plaintext(sealed.size() - kSealOverheadBytes);
  // crypto_box_seal_open rejects a null output pointer only when it would write; give it a valid
  // one even for an empty plaintext.
  std::uint8_t empty = 0;
  std::uint8_t* out = plaintext.empty() ? &empty : plaintext.data();
  if (crypto_box_seal_open(out, sealed.data(), sealed.size(), key_pair.public_key().data(),
                           key_pair.secret_key().data()) != 0) {
    plaintext.Wipe();
    return Fail(ErrorCode::kUnauthenticated, "sealed box does not open with this key");
  }
  return plaintext;
}

Result<X25519PublicKey> ParseX25519PublicKey(std::string_view base64) {
  EnsureSodium();
  X25519PublicKey key{};
  if (!FromBase64Into(base64, key)) {
    return Fail(ErrorCode::kInvalidArgument, "public key is not base64 of 32 bytes");
  }
  // Multiply by a throwaway scalar: libsodium reports failure when the result is the identity,
  // which happens exactly for low-order points (all-zero, and the other small-subgroup points).
  SecretArray<crypto_scalarmult_SCALARBYTES> scalar;
  SecretArray<crypto_scalarmult_BYTES> product;
  randombytes_buf(scalar.data(), scalar.size());
  if (crypto_scalarmult(product.data(), scalar.data(), key.data()) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "public key is a low-order point");
  }
  return key;
}

}  // namespace seedwell

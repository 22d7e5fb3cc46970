#include "crypto/sealed_signing_key.h"

#include <sodium.h>

#include <cstring>
#include <string>

namespace seedwell {
namespace {

static_assert(kSealNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kSealTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kKeyEncryptionKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

// AdditionalData returns kSealedSigningKeyLabel || 0x00 || |kid|.
std::vector<std::uint8_t> AdditionalData(std::string_view kid) {
  std::vector<std::uint8_t> ad(kSealedSigningKeyLabel.begin(), kSealedSigningKeyLabel.end());
  ad.push_back(0);
  ad.insert(ad.end(), kid.begin(), kid.end());
  return ad;
}

}  // namespace

std::vector<std::uint8_t> SealSigningKey(const KeyEncryptionKey& kek, const SigningKey& key) {
  EnsureSodium();
  const std::vector<std::uint8_t> ad = AdditionalData(key.kid());
  std::vector<std::uint8_t> sealed(kSealedSigningKeyBytes);
  randombytes_buf(sealed.data(), kSealNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + kSealNonceBytes, &written,
                                             key.seed().data(), key.seed().size(), ad.data(),
                                             ad.size(), nullptr, sealed.data(), kek.bytes().data());
  return sealed;
}

Result<SigningKey> OpenSealedSigningKey(const KeyEncryptionKey& kek, std::string_view kid,
                                        std::span<const std::uint8_t> sealed) {
  EnsureSodium();
  const std::string what = "sealed signing key " + std::string(kid);
  if (sealed.size() != kSealedSigningKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument, what + " has the wrong length");
  }
  const std::vector<std::uint8_t> ad = AdditionalData(kid);
  SecretArray<kEd25519SeedBytes> seed;
  unsigned long long opened = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          seed.data(), &opened, nullptr, sealed.data() + kSealNonceBytes,
          sealed.size() - kSealNonceBytes, ad.data(), ad.size(), sealed.data(),
          kek.bytes().data()) != 0 ||
      opened != kEd25519SeedBytes) {
    return Fail(ErrorCode::kUnauthenticated,
                what +
                    " does not open with this key-encryption key (a wrong key-encryption key, "
                    "or the stored key was altered)");
  }
  SigningKey key = SigningKey::FromSeed(seed.span());
  if (key.kid() != kid) {
    return Fail(ErrorCode::kInvalidArgument, what + " holds the seed of another key");
  }
  return key;
}

}  // namespace seedwell

#include "crypto/sealed_signing_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace seedwell {
namespace {

bool Contains(const std::vector<std::uint8_t>& haystack, std::span<const std::uint8_t> needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

TEST(SealedSigningKeyTest, RoundTripGivesTheSameKey) {
  const KeyEncryptionKey kek = KeyEncryptionKey::Generate();
  const SigningKey key = SigningKey::Generate();
  const auto sealed = SealSigningKey(kek, key);
  ASSERT_EQ(sealed.size(), kSealedSigningKeyBytes);
  EXPECT_FALSE(Contains(sealed, key.seed()));  // the seed is not in the clear
  auto opened = OpenSealedSigningKey(kek, key.kid(), sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->kid(), key.kid());
  EXPECT_TRUE(std::equal(opened->seed().begin(), opened->seed().end(), key.seed().begin()));
  const std::uint8_t message[] = {1, 2, 3};
  EXPECT_TRUE(VerifyEd25519(key.public_key(), message, opened->Sign(message)));
}

TEST(SealedSigningKeyTest, EachSealUsesAFreshNonce) {
  const KeyEncryptionKey kek = KeyEncryptionKey::Generate();
  const SigningKey key = SigningKey::Generate();
  EXPECT_NE(SealSigningKey(kek, key), SealSigningKey(kek, key));
}

TEST(SealedSigningKeyTest, WrongKekIsUnauthenticated) {
  const SigningKey key = SigningKey::Generate();
  const auto sealed = SealSigningKey(KeyEncryptionKey::Generate(), key);
  auto opened = OpenSealedSigningKey(KeyEncryptionKey::Generate(), key.kid(), sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(opened.error().message.find(key.kid()), std::string::npos);
}

TEST(SealedSigningKeyTest, EveryTamperedByteIsRefused) {
  const KeyEncryptionKey kek = KeyEncryptionKey::Generate();
  const SigningKey key = SigningKey::Generate();
  const auto sealed = SealSigningKey(kek, key);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto tampered = sealed;
    tampered[i] ^= 0x01;
    auto opened = OpenSealedSigningKey(kek, key.kid(), tampered);
    ASSERT_FALSE(opened.has_value()) << "byte " << i;
    EXPECT_EQ(opened.error().code, ErrorCode::kUnauthenticated) << "byte " << i;
  }
}

TEST(SealedSigningKeyTest, AnotherKeysIdInTheAdditionalDataIsRefused) {
  const KeyEncryptionKey kek = KeyEncryptionKey::Generate();
  const SigningKey key = SigningKey::Generate();
  const SigningKey other = SigningKey::Generate();
  // A sealed seed copied onto another key's row does not open as that key.
  auto opened = OpenSealedSigningKey(kek, other.kid(), SealSigningKey(kek, key));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnauthenticated);
}

TEST(SealedSigningKeyTest, WrongLengthsAreInvalid) {
  const KeyEncryptionKey kek = KeyEncryptionKey::Generate();
  const SigningKey key = SigningKey::Generate();
  auto sealed = SealSigningKey(kek, key);
  for (const std::size_t size :
       {std::size_t{0}, kSealNonceBytes, sealed.size() - 1, sealed.size() + 1}) {
    std::vector<std::uint8_t> cut = sealed;
    cut.resize(size);
    auto opened = OpenSealedSigningKey(kek, key.kid(), cut);
    ASSERT_FALSE(opened.has_value()) << size;
    EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument) << size;
  }
}

}  // namespace
}  // namespace seedwell

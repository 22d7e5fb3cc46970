#include "crypto/sealed_box.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

std::vector<std::uint8_t> Plain(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return v;
}

TEST(SealedBoxTest, RoundTripForManyLengths) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  for (const std::size_t n : {0, 1, 31, 32, 33, 64, 1000}) {
    const auto plain = Plain(n);
    auto sealed = Seal(pair.public_key(), plain);
    ASSERT_TRUE(sealed.has_value());
    EXPECT_EQ(sealed->size(), n + kSealOverheadBytes);
    auto opened = Open(pair, *sealed);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    ASSERT_EQ(opened->size(), n);
    EXPECT_TRUE(ConstantTimeEquals(opened->span(), plain));
  }
}

TEST(SealedBoxTest, SealingTwiceGivesDifferentBoxes) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  const auto plain = Plain(32);
  EXPECT_NE(Seal(pair.public_key(), plain).value(), Seal(pair.public_key(), plain).value());
}

TEST(SealedBoxTest, OpenWithAnotherKeyFails) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  const SealingKeyPair other = SealingKeyPair::Generate();
  const auto sealed = Seal(pair.public_key(), Plain(32)).value();
  auto opened = Open(other, sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnauthenticated);
}

TEST(SealedBoxTest, EveryTamperedByteFails) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  const auto sealed = Seal(pair.public_key(), Plain(40)).value();
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(Open(pair, bad).has_value()) << "byte " << i;
  }
  auto truncated = sealed;
  truncated.pop_back();
  EXPECT_FALSE(Open(pair, truncated).has_value());
  auto extended = sealed;
  extended.push_back(0);
  EXPECT_FALSE(Open(pair, extended).has_value());
}

TEST(SealedBoxTest, TooShortIsInvalidArgument) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  const std::vector<std::uint8_t> short_box(kSealOverheadBytes - 1, 0);
  auto opened = Open(pair, short_box);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument);
}

TEST(SealedBoxTest, ParsePublicKey) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  auto parsed = ParseX25519PublicKey(ToBase64(pair.public_key()));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, pair.public_key());

  const std::vector<std::uint8_t> short_key(31, 9);
  const std::vector<std::uint8_t> long_key(33, 9);
  const X25519PublicKey zero{};
  X25519PublicKey one{};
  one[0] = 1;  // u = 1: a point of small order
  for (const std::string& bad :
       {ToBase64(short_key), ToBase64(long_key), ToBase64(zero), ToBase64(one),
        ToBase64Url(pair.public_key()), std::string("not base64!"), std::string()}) {
    auto result = ParseX25519PublicKey(bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(SealedBoxTest, SealToLowOrderKeyFails) {
  const X25519PublicKey zero{};
  auto sealed = Seal(zero, Plain(8));
  ASSERT_FALSE(sealed.has_value());
  EXPECT_EQ(sealed.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedwell

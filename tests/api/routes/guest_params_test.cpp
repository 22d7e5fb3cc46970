#include "api/routes/guest_params.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/encoding.h"
#include "crypto/sealed_box.h"

namespace seedwell {
namespace {

TEST(EntropyParamsTest, DefaultsWhenNothingIsGiven) {
  const auto p = ParseEntropyParams({}, 4096);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->bytes, 64U);
  EXPECT_TRUE(p->nonce.empty());
  EXPECT_FALSE(p->recipient.has_value());
}

TEST(EntropyParamsTest, ReadsEveryParameter) {
  const auto keys = SealingKeyPair::Generate();
  const GuestParams params = {
      {"bytes", "32"}, {"nonce", "00ff10"}, {"recipient", ToBase64(keys.public_key())}};
  const auto p = ParseEntropyParams(params, 4096);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->bytes, 32U);
  EXPECT_EQ(p->nonce, (std::vector<std::uint8_t>{0x00, 0xff, 0x10}));
  ASSERT_TRUE(p->recipient.has_value());
  EXPECT_EQ(*p->recipient, keys.public_key());
}

TEST(EntropyParamsTest, BytesMustBeADecimalInRange) {
  for (const char* bad : {"0", "-1", "+5", "4097", "1e3", "0x10", "", "12a", "9999999", " 5"}) {
    const auto p = ParseEntropyParams({{"bytes", bad}}, 4096);
    ASSERT_FALSE(p.has_value()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find("bytes"), std::string::npos);
  }
  EXPECT_EQ(ParseEntropyParams({{"bytes", "4096"}}, 4096)->bytes, 4096U);
  EXPECT_EQ(ParseEntropyParams({{"bytes", "1"}}, 4096)->bytes, 1U);
}

TEST(EntropyParamsTest, NonceIsOneToSixtyFourBytesOfHex) {
  EXPECT_FALSE(ParseEntropyParams({{"nonce", ""}}, 64).has_value());
  EXPECT_FALSE(ParseEntropyParams({{"nonce", "abc"}}, 64).has_value());  // odd length
  EXPECT_FALSE(ParseEntropyParams({{"nonce", "zz"}}, 64).has_value());
  EXPECT_FALSE(ParseEntropyParams({{"nonce", std::string(130, 'a')}}, 64).has_value());
  EXPECT_TRUE(ParseEntropyParams({{"nonce", std::string(128, 'a')}}, 64).has_value());
}

TEST(EntropyParamsTest, UnknownAndRepeatedParametersAreRefused) {
  EXPECT_FALSE(ParseEntropyParams({{"bites", "5"}}, 64).has_value());
  EXPECT_FALSE(ParseEntropyParams({{"bytes", "5"}, {"bytes", "6"}}, 64).has_value());
  EXPECT_FALSE(ParseEntropyParams({{"nonce", "00"}, {"nonce", "00"}}, 64).has_value());
  EXPECT_FALSE(ParseEntropyParams({{"recipient", "not-a-key"}}, 64).has_value());
}

TEST(PollenChallengeTest, ExactlyOneBoundedChallenge) {
  EXPECT_EQ(*ParsePollenChallenge({{"challenge", "abc"}}), "abc");
  EXPECT_TRUE(ParsePollenChallenge({{"challenge", std::string(kMaxChallengeBytes, 'x')}}));
  EXPECT_FALSE(ParsePollenChallenge({}).has_value());
  EXPECT_FALSE(ParsePollenChallenge({{"challenge", ""}}).has_value());
  EXPECT_FALSE(ParsePollenChallenge({{"challenge", std::string(kMaxChallengeBytes + 1, 'x')}}));
  EXPECT_FALSE(ParsePollenChallenge({{"challenge", "a"}, {"challenge", "b"}}).has_value());
}

}  // namespace
}  // namespace seedwell

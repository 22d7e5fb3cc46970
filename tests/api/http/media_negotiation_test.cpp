#include "api/http/media_negotiation.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

namespace seedwell {
namespace {

constexpr std::array<std::string_view, 2> kOffers = {"application/json",
                                                     "application/octet-stream"};

std::optional<std::size_t> Pick(std::string_view accept) {
  return NegotiateMediaType(accept, kOffers);
}

TEST(MediaNegotiationTest, NoAcceptOrAWildcardGetsTheServersFirstChoice) {
  EXPECT_EQ(Pick(""), 0U);
  EXPECT_EQ(Pick("   "), 0U);
  EXPECT_EQ(Pick("*/*"), 0U);
  EXPECT_EQ(Pick("application/*"), 0U);
}

TEST(MediaNegotiationTest, ExactTypesMatchCaseInsensitively) {
  EXPECT_EQ(Pick("application/octet-stream"), 1U);
  EXPECT_EQ(Pick("APPLICATION/JSON"), 0U);
  EXPECT_EQ(Pick("Application/Octet-Stream"), 1U);
}

TEST(MediaNegotiationTest, QualityZeroRefusesAType) {
  // The case: JSON refused, octets accepted.
  EXPECT_EQ(Pick("application/json;q=0, application/octet-stream"), 1U);
  EXPECT_EQ(Pick("application/json; q=0"), std::nullopt);
  EXPECT_EQ(Pick("*/*;q=0"), std::nullopt);
  EXPECT_EQ(Pick("text/html"), std::nullopt);
}

TEST(MediaNegotiationTest, HigherQualityWinsAndTiesGoToTheServersOrder) {
  EXPECT_EQ(Pick("application/json;q=0.5, application/octet-stream;q=0.9"), 1U);
  EXPECT_EQ(Pick("application/json;q=0.9, application/octet-stream;q=0.5"), 0U);
  EXPECT_EQ(Pick("application/octet-stream, application/json"), 0U);  // equal: server's order
  EXPECT_EQ(Pick("application/octet-stream;Q=1.000, application/json;q=0.999"), 1U);
}

TEST(MediaNegotiationTest, TheMostSpecificRangeSetsTheQuality) {
  // */* allows anything at 1, but the exact range lowers JSON to 0.1: octets win.
  EXPECT_EQ(Pick("*/*, application/json;q=0.1"), 1U);
  EXPECT_EQ(Pick("application/*;q=0.2, application/octet-stream;q=0"), 0U);
  EXPECT_EQ(Pick("application/json;q=0, */*;q=0.3"), 1U);
}

TEST(MediaNegotiationTest, MalformedElementsAreSkippedNotFatal) {
  EXPECT_EQ(Pick("garbage, application/octet-stream"), 1U);
  EXPECT_EQ(Pick("application/json;q=2, application/octet-stream"), 1U);  // bad q: skipped
  EXPECT_EQ(Pick("application/json;q=abc"), std::nullopt);
  EXPECT_EQ(Pick("*/json"), std::nullopt);
  EXPECT_EQ(Pick("/, ;, ,,,"), std::nullopt);
  EXPECT_EQ(Pick("application/json;q=0.1234"), std::nullopt);  // more than three decimals
}

TEST(MediaNegotiationTest, ElementsPastTheBoundAreIgnored) {
  std::string accept;
  for (std::size_t i = 0; i < kMaxAcceptElements; ++i) accept += "text/plain, ";
  EXPECT_EQ(Pick(accept + "application/octet-stream"), std::nullopt);
  EXPECT_EQ(Pick("application/octet-stream, " + accept), 1U);
}

}  // namespace
}  // namespace seedwell

#include "crypto/health_tests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace seedwell {
namespace {

struct CutoffCell {
  double h;
  std::size_t window;
  int log2_alpha;
  int rct;
  int apt;
};

// The table of specs/randomness.md (exact binomials), all 15 cells.
constexpr CutoffCell kTable[] = {
    {1, 512, -20, 21, 311},    {1, 512, -30, 31, 325},    {1, 512, -40, 41, 336},
    {2, 512, -20, 11, 177},    {2, 512, -30, 16, 190},    {2, 512, -40, 21, 201},
    {4, 512, -20, 6, 62},      {4, 512, -30, 9, 71},      {4, 512, -40, 11, 78},
    {8, 512, -20, 4, 13},      {8, 512, -30, 5, 16},      {8, 512, -40, 6, 19},
    {0.5, 1024, -20, 41, 793}, {0.5, 1024, -30, 61, 810}, {0.5, 1024, -40, 81, 824},
};

TEST(HealthCutoffTest, MatchesSpecTable) {
  for (const CutoffCell& cell : kTable) {
    const double alpha = std::ldexp(1.0, cell.log2_alpha);
    SCOPED_TRACE(testing::Message() << "H=" << cell.h << " alpha=2^" << cell.log2_alpha);
    EXPECT_EQ(RepetitionCountCutoff(cell.h, alpha), cell.rct);
    EXPECT_EQ(AdaptiveProportionCutoff(cell.h, alpha, cell.window), cell.apt);
  }
}

TEST(HealthCutoffTest, RejectsBadParameters) {
  EXPECT_THROW(RepetitionCountCutoff(0.0, kIntermittentAlpha), std::invalid_argument);
  EXPECT_THROW(RepetitionCountCutoff(8.5, kIntermittentAlpha), std::invalid_argument);
  EXPECT_THROW(RepetitionCountCutoff(4.0, 1.0), std::invalid_argument);
  EXPECT_THROW(AdaptiveProportionCutoff(4.0, 0.0, 512), std::invalid_argument);
  EXPECT_THROW(AdaptiveProportionCutoff(4.0, kIntermittentAlpha, 0), std::invalid_argument);
  EXPECT_THROW(AdaptiveProportionCutoff(NAN, kIntermittentAlpha, 512), std::invalid_argument);
}

TEST(RepetitionCountTest, FailsExactlyAtCutoff) {
  RepetitionCountTest rct(5);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(rct.Feed(7)) << i;
  EXPECT_FALSE(rct.Feed(7));
}

TEST(RepetitionCountTest, ADifferentValueRestartsTheRun) {
  RepetitionCountTest rct(3);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(rct.Feed(1));
    ASSERT_TRUE(rct.Feed(1));
    ASSERT_TRUE(rct.Feed(2));
  }
}

TEST(RepetitionCountTest, ResetForgetsTheRun) {
  RepetitionCountTest rct(3);
  EXPECT_TRUE(rct.Feed(9));
  EXPECT_TRUE(rct.Feed(9));
  rct.Reset();
  EXPECT_TRUE(rct.Feed(9));
  EXPECT_TRUE(rct.Feed(9));
  EXPECT_FALSE(rct.Feed(9));
}

TEST(AdaptiveProportionTest, FailsWhenReferenceReachesCutoffInWindow) {
  AdaptiveProportionTest apt(4, 16);
  // Reference 0xAA then two more spread out: count 3, still under the cutoff.
  const std::vector<std::uint8_t> first = {0xAA, 1, 0xAA, 2, 3, 0xAA, 4};
  for (const auto s : first) EXPECT_TRUE(apt.Feed(s));
  EXPECT_FALSE(apt.Feed(0xAA));  // the fourth occurrence, sample 8 of 16
}

TEST(AdaptiveProportionTest, CountsOnlyTheWindowsFirstValue) {
  AdaptiveProportionTest apt(4, 16);
  EXPECT_TRUE(apt.Feed(1));                                    // reference
  for (int i = 0; i < 15; ++i) EXPECT_TRUE(apt.Feed(2)) << i;  // 2 is not the reference
}

TEST(AdaptiveProportionTest, ANewWindowStartsAfterWSamples) {
  AdaptiveProportionTest apt(4, 8);
  // Window 1: reference 5 occurs 3 times in 8 samples.
  for (const std::uint8_t s : {5, 5, 5, 1, 2, 3, 4, 6}) EXPECT_TRUE(apt.Feed(s));
  // Window 2 starts afresh with reference 5: three more are fine, the fourth fails.
  for (const std::uint8_t s : {5, 1, 5, 2, 5}) EXPECT_TRUE(apt.Feed(s));
  EXPECT_FALSE(apt.Feed(5));
}

TEST(HealthTestsTest, StuckSourceTripsRctWithoutRevealingTheValue) {
  HealthTests tests(8.0);
  EXPECT_EQ(tests.rct_cutoff(), 5);
  EXPECT_EQ(tests.apt_cutoff(), 16);
  const std::vector<std::uint8_t> stuck(64, 0xC3);
  auto r = tests.Feed(stuck);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_NE(r.error().message.find("repetition count"), std::string::npos);
  EXPECT_EQ(r.error().message.find("195"), std::string::npos);  // 0xC3
}

TEST(HealthTestsTest, BiasedSourceTripsApt) {
  HealthTests tests(8.0);
  std::vector<std::uint8_t> biased(512);
  for (std::size_t i = 0; i < biased.size(); ++i) {
    biased[i] = (i % 3 == 0) ? 0 : static_cast<std::uint8_t>(i * 7 + 1);
  }
  auto r = tests.Feed(biased);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("adaptive proportion"), std::string::npos);
}

TEST(HealthTestsTest, LowerEntropyLoosensCutoffs) {
  HealthTests tests(2.0);
  EXPECT_EQ(tests.rct_cutoff(), 16);
  EXPECT_EQ(tests.apt_cutoff(), 190);
  const std::vector<std::uint8_t> run(15, 4);  // 15 in a row is allowed at H = 2
  EXPECT_TRUE(tests.Feed(run));
}

TEST(HealthTestsTest, StateCarriesAcrossCallsAndResets) {
  HealthTests tests(8.0);
  const std::vector<std::uint8_t> two(2, 9);
  EXPECT_TRUE(tests.Feed(two));
  EXPECT_TRUE(tests.Feed(two));
  EXPECT_FALSE(tests.Feed(std::vector<std::uint8_t>(1, 9)));  // fifth 9 across three calls
  tests.Reset();
  EXPECT_TRUE(tests.Feed(two));
}

TEST(HealthTestSelfCheckTest, Passes) {
  auto r = HealthTestSelfCheck();
  EXPECT_TRUE(r) << r.error().message;
}

}  // namespace
}  // namespace seedwell

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

// The cutoffs of SP 800-90B 4.4.1 and 4.4.2 (exact binomials) for three alphas, all 15 cells.
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
  EXPECT_EQ(r.failed, HealthTestKind::kRct);
  EXPECT_NE(r.message.find("repetition count"), std::string::npos);
  EXPECT_EQ(r.message.find("195"), std::string::npos);  // 0xC3
}

TEST(HealthTestsTest, BiasedSourceTripsApt) {
  HealthTests tests(8.0);
  std::vector<std::uint8_t> biased(512);
  for (std::size_t i = 0; i < biased.size(); ++i) {
    biased[i] = (i % 3 == 0) ? 0 : static_cast<std::uint8_t>(i * 7 + 1);
  }
  auto r = tests.Feed(biased);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failed, HealthTestKind::kApt);
  EXPECT_NE(r.message.find("adaptive proportion"), std::string::npos);
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

TEST(HealthTestsTest, PermanentCutoffsFollowAlphaTwoToTheMinusSixty) {
  // RCT: 1 + ceil(60 / H); APT from the same exact binomial at alpha = 2^-60.
  HealthTests h8(8.0);
  EXPECT_EQ(h8.rct_permanent_cutoff(), 9);
  EXPECT_EQ(h8.apt_permanent_cutoff(), AdaptiveProportionCutoff(8.0, 0x1p-60, 512));
  EXPECT_GT(h8.apt_permanent_cutoff(), h8.apt_cutoff());
  HealthTests h2(2.0);
  EXPECT_EQ(h2.rct_permanent_cutoff(), 31);
  EXPECT_GT(h2.apt_permanent_cutoff(), h2.apt_cutoff());
  EXPECT_THROW(HealthTests(8.0, 0x1p-30, 0x1p-20), std::invalid_argument);
  EXPECT_THROW(HealthTests(8.0, 0x1p-30, 0.0), std::invalid_argument);
}

TEST(HealthTestsTest, AShortRunIsIntermittentALongOneIsPermanent) {
  // H = 8: a run of 5 trips the intermittent RCT, 9 the permanent one.
  std::vector<std::uint8_t> samples = {1, 2, 3, 7, 7, 7, 7, 7, 7, 4, 5, 6};
  HealthTests glitch(8.0);
  auto r = glitch.Feed(samples);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failed, HealthTestKind::kRct);
  EXPECT_FALSE(r.permanent);
  EXPECT_NE(r.message.find("intermittent cutoff 5"), std::string::npos) << r.message;

  // The run continues past the intermittent failure within the same call: permanent.
  const std::vector<std::uint8_t> stuck = {1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2};
  HealthTests dead(8.0);
  r = dead.Feed(stuck);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failed, HealthTestKind::kRct);
  EXPECT_TRUE(r.permanent);
  EXPECT_NE(r.message.find("permanent cutoff 9"), std::string::npos) << r.message;

  // Eight in a row is one short of it.
  const std::vector<std::uint8_t> eight = {1, 7, 7, 7, 7, 7, 7, 7, 7, 2};
  HealthTests almost(8.0);
  r = almost.Feed(eight);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.permanent);
}

TEST(HealthTestsTest, ResetForgetsThePermanentRunToo) {
  HealthTests tests(8.0);
  EXPECT_FALSE(tests.Feed(std::vector<std::uint8_t>(6, 3)));
  tests.Reset();
  const auto r = tests.Feed(std::vector<std::uint8_t>(6, 3));  // 6, not 12, in a row
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.permanent);
}

TEST(HealthTestsTest, KindNamesAreTheMetricLabels) {
  EXPECT_EQ(HealthTestKindName(HealthTestKind::kRct), "rct");
  EXPECT_EQ(HealthTestKindName(HealthTestKind::kApt), "apt");
  EXPECT_EQ(HealthTestKindName(HealthTestKind::kStartup), "startup");
}

TEST(HealthTestSelfCheckTest, Passes) {
  auto r = HealthTestSelfCheck();
  EXPECT_TRUE(r) << r.error().message;
}

}  // namespace
}  // namespace seedwell

#include "crypto/clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace seedwell {
namespace {

// The DRBG compares coarse readings with precise ones (reseed times), so both must be the same
// clock: the coarse one may lag by a tick (at most 10 ms even at HZ=100), never lead.
TEST(SteadyClockTest, CoarseNowIsTheSameClockWithinATick) {
  const Clock& clock = SteadyClock::Instance();
  for (int i = 0; i < 1000; ++i) {
    const auto coarse = clock.CoarseNow();
    const auto precise = clock.Now();
    EXPECT_LE(coarse, precise);
    EXPECT_LT(precise - coarse, std::chrono::milliseconds(10));
  }
}

TEST(SteadyClockTest, CoarseNowNeverGoesBackwards) {
  const Clock& clock = SteadyClock::Instance();
  auto last = clock.CoarseNow();
  for (int i = 0; i < 100000; ++i) {
    const auto now = clock.CoarseNow();
    ASSERT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace seedwell

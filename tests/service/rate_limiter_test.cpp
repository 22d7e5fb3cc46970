#include "service/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/testutil/fake_clock.h"

namespace seedwell {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr BucketLimits kPerInstance{1000, 4000};  // 1000 B/s, burst 4000 B
constexpr BucketLimits kNoGlobalCap{0, 0};

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, kNoGlobalCap);
  EXPECT_TRUE(limiter.Acquire("a", 4000, kPerInstance).granted);  // starts full
  Acquisition refused = limiter.Acquire("a", 500, kPerInstance);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.retry_after, milliseconds(500));  // 500 B at 1000 B/s
  EXPECT_FALSE(refused.global);
  clock.Advance(milliseconds(499));
  EXPECT_FALSE(limiter.Acquire("a", 500, kPerInstance).granted);
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.Acquire("a", 500, kPerInstance).granted);
}

TEST(RateLimiterTest, RefillNeverExceedsTheBurst) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, kNoGlobalCap);
  ASSERT_TRUE(limiter.Acquire("a", 4000, kPerInstance).granted);
  clock.Advance(seconds(3600));
  EXPECT_TRUE(limiter.Acquire("a", 4000, kPerInstance).granted);
  EXPECT_FALSE(limiter.Acquire("a", 1, kPerInstance).granted);
}

TEST(RateLimiterTest, KeysHaveSeparateBuckets) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, kNoGlobalCap);
  ASSERT_TRUE(limiter.Acquire("a", 4000, kPerInstance).granted);
  EXPECT_TRUE(limiter.Acquire("b", 4000, kPerInstance).granted);
  EXPECT_EQ(limiter.TrackedKeys(), 2U);
}

TEST(RateLimiterTest, RequestLargerThanBurstNeverFits) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, kNoGlobalCap);
  Acquisition a = limiter.Acquire("a", 4001, kPerInstance);
  EXPECT_FALSE(a.granted);
  EXPECT_EQ(a.retry_after, milliseconds::max());
  EXPECT_TRUE(limiter.Acquire("a", 4000, kPerInstance).granted);  // nothing was taken
}

TEST(RateLimiterTest, GlobalCapRefusesWithoutChargingTheInstance) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, BucketLimits{100, 1000});
  ASSERT_TRUE(limiter.Acquire("a", 1000, kPerInstance).granted);
  Acquisition refused = limiter.Acquire("b", 10, kPerInstance);
  EXPECT_FALSE(refused.granted);
  EXPECT_TRUE(refused.global);
  EXPECT_EQ(refused.retry_after, milliseconds(100));
  clock.Advance(milliseconds(100));
  EXPECT_TRUE(limiter.Acquire("b", 10, kPerInstance).granted);
  // The refused attempt charged "b" nothing: with the global cap lifted (a fresh limiter would
  // not share buckets), b's own bucket must still hold 3990 bytes, no more.
  Acquisition rest = limiter.Acquire("b", 3991, kPerInstance);
  EXPECT_FALSE(rest.granted);
  EXPECT_FALSE(rest.global);  // refused by b's own bucket (3990 < 3991), not by the global cap
}

TEST(RateLimiterTest, UnlimitedKeysAreNotTracked) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, kNoGlobalCap);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limiter.Acquire("a", 1'000'000, BucketLimits{0, 0}).granted);
  }
  EXPECT_EQ(limiter.TrackedKeys(), 0U);
}

TEST(RateLimiterTest, IdleBucketsAreForgotten) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, kNoGlobalCap);
  for (int i = 0; i < 50; ++i) limiter.Acquire("k" + std::to_string(i), 1, kPerInstance);
  EXPECT_EQ(limiter.TrackedKeys(), 50U);
  clock.Advance(std::chrono::minutes(11));
  limiter.Acquire("fresh", 1, kPerInstance);
  EXPECT_EQ(limiter.TrackedKeys(), 1U);
}

TEST(RateLimiterTest, ConcurrentAcquiresNeverOverspend) {
  testing::FakeClock clock;  // frozen: no refill, so exactly burst / request grants can succeed
  RateLimiter limiter(clock, kNoGlobalCap);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Acquire("shared", 100, kPerInstance).granted) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 40);  // 4000 / 100
}

}  // namespace
}  // namespace seedwell

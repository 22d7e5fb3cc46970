#include "service/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
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
  threads.reserve(4);
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

TEST(RateLimiterTest, ShareDividesBudgetsAmongLiveReplicas) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, {3000, 6000});
  EXPECT_EQ(limiter.Replicas(), 1U);
  EXPECT_EQ(limiter.ShareOf(kPerInstance).burst_bytes, 4000U);
  limiter.SetShare(3);
  const BucketLimits share = limiter.ShareOf(kPerInstance);
  EXPECT_EQ(share.bytes_per_second, 333U);  // rounded down: three shares never exceed the budget
  EXPECT_EQ(share.burst_bytes, 1333U);
  EXPECT_EQ(limiter.ShareOf(kNoGlobalCap).bytes_per_second, 0U);  // unlimited stays unlimited
  EXPECT_EQ(limiter.ShareOf({5, 2}).bytes_per_second, 1U);        // never down to unlimited
  limiter.SetShare(0);
  EXPECT_EQ(limiter.Replicas(), 1U);
}

TEST(RateLimiterTest, GlobalCapIsSharedToo) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, {3000, 6000});
  limiter.SetShare(3);  // this replica's share of the global cap: 1000 B/s, burst 2000 B
  EXPECT_TRUE(limiter.Acquire("a", 2000, kNoGlobalCap).granted);
  const Acquisition refused = limiter.Acquire("b", 1, kNoGlobalCap);
  EXPECT_FALSE(refused.granted);
  EXPECT_TRUE(refused.global);
  clock.Advance(seconds(1));
  EXPECT_TRUE(limiter.Acquire("b", 1000, kNoGlobalCap).granted);
  EXPECT_FALSE(limiter.Acquire("b", 1, kNoGlobalCap).granted);
}

TEST(RateLimiterTest, ThreeReplicasTogetherGrantOneBudget) {
  // Three limiters (three replicas) each enforcing a third, a client spreading requests evenly
  // over them for 10 s: together they grant the budget (burst + 10 s of rate), not three times it.
  testing::FakeClock clock;
  std::vector<std::unique_ptr<RateLimiter>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<RateLimiter>(clock, kNoGlobalCap));
    replicas.back()->SetShare(3);
  }
  std::uint64_t granted = 0;
  for (int tick = 0; tick < 1000; ++tick) {  // one request per replica every 10 ms
    for (auto& r : replicas) {
      if (r->Acquire("a", 16, r->ShareOf(kPerInstance)).granted) granted += 16;
    }
    clock.Advance(milliseconds(10));
  }
  const std::uint64_t budget = kPerInstance.burst_bytes + 10 * kPerInstance.bytes_per_second;
  EXPECT_LE(granted, budget);
  EXPECT_GE(granted, budget * 95 / 100);
}

}  // namespace
}  // namespace seedwell

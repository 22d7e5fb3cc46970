#include "service/membership.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "crypto/clock.h"
#include "service/store/sqlite_store.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using std::chrono::milliseconds;

ReplicaRecord Self(const std::string& id) {
  ReplicaRecord self;
  self.id = id;
  self.host = "host-" + id;
  self.version = "9.9";
  self.started_at_ms = 42;
  return self;
}

class MembershipTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<Store> store_ = SqliteStore::Open(dir_.File("seedwell.db"));
  RateLimiter limiter_{SteadyClock::Instance(), {0, 0}};
  // Beats only when the test calls Beat (the thread's interval is an hour); live within 100 ms.
  MembershipOptions manual_{.heartbeat_interval = std::chrono::hours(1),
                            .live_within = milliseconds(100),
                            .forget_after = std::chrono::hours(1)};
};

TEST_F(MembershipTest, RegistersAtStartWithTheCurrentKeyId) {
  std::string kid = "kid-1";
  auto m = Membership::Start(
      *store_, limiter_, Self("a"), [&kid] { return kid; }, manual_);
  ClusterView view = m->View();
  EXPECT_EQ(view.self_id, "a");
  EXPECT_EQ(view.live, 1U);
  EXPECT_FALSE(view.stale);
  ASSERT_EQ(view.replicas.size(), 1U);
  EXPECT_EQ(view.replicas[0].host, "host-a");
  EXPECT_EQ(view.replicas[0].version, "9.9");
  EXPECT_EQ(view.replicas[0].started_at_ms, 42);
  EXPECT_EQ(view.replicas[0].key_id, "kid-1");
  kid = "kid-2";  // a rotation shows at the next beat
  ASSERT_TRUE(m->Beat().has_value());
  EXPECT_EQ(m->View().replicas[0].key_id, "kid-2");
}

TEST_F(MembershipTest, ShareFollowsTheLiveReplicasAndASilentOneDropsOut) {
  auto a = Membership::Start(*store_, limiter_, Self("a"), {}, manual_);
  RateLimiter other_limiter(SteadyClock::Instance(), {0, 0});
  auto b = Membership::Start(*store_, other_limiter, Self("b"), {}, manual_);
  ASSERT_TRUE(a->Beat().has_value());
  EXPECT_EQ(a->View().live, 2U);
  EXPECT_EQ(limiter_.Replicas(), 2U);
  EXPECT_EQ(other_limiter.Replicas(), 2U);
  // b stops beating (as if killed: its row stays); after live_within a's next beat drops it.
  std::this_thread::sleep_for(milliseconds(150));
  ASSERT_TRUE(a->Beat().has_value());
  const ClusterView view = a->View();
  EXPECT_EQ(view.live, 1U);
  ASSERT_EQ(view.replicas.size(), 2U);
  EXPECT_FALSE(view.replicas[1].live);
  EXPECT_EQ(limiter_.Replicas(), 1U);
}

TEST_F(MembershipTest, StopRemovesTheRowAtOnce) {
  auto a = Membership::Start(*store_, limiter_, Self("a"), {}, manual_);
  auto b = Membership::Start(*store_, limiter_, Self("b"), {}, manual_);
  b->Stop();
  b->Stop();  // idempotent
  ASSERT_TRUE(a->Beat().has_value());
  EXPECT_EQ(a->View().replicas.size(), 1U);
  EXPECT_EQ(a->View().live, 1U);
}

TEST_F(MembershipTest, TheThreadBeatsEveryInterval) {
  MembershipOptions fast = manual_;
  fast.heartbeat_interval = milliseconds(20);
  auto a = Membership::Start(*store_, limiter_, Self("a"), {}, fast);
  auto b = Membership::Start(*store_, limiter_, Self("b"), {}, fast);
  // Without a test calling Beat, both stay live well past live_within.
  std::this_thread::sleep_for(milliseconds(300));
  const ClusterView view = a->View();
  EXPECT_EQ(view.live, 2U);
  ASSERT_EQ(view.replicas.size(), 2U);
  EXPECT_TRUE(view.replicas[0].live && view.replicas[1].live);
}

}  // namespace
}  // namespace seedwell

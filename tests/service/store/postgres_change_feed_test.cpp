// PostgresChangeFeed against a real server: another store's writes arrive as events within a
// second, this store's own are skipped, and a lost connection is re-established and re-LISTENed.
#include "service/store/postgres_change_feed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/testutil/store_backends.h"

namespace seedwell {
namespace {

using namespace std::chrono_literals;

// Events collects what a feed delivers, for waiting on.
class Events {
 public:
  void Add(const InstanceEvent& event) {
    const std::lock_guard lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }
  void Resync() {
    const std::lock_guard lock(mu_);
    ++resyncs_;
    cv_.notify_all();
  }
  // WaitFor waits up to |timeout| for at least |n| events and returns what arrived.
  std::vector<InstanceEvent> WaitFor(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
    return events_;
  }
  bool WaitResyncs(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return resyncs_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<InstanceEvent> events_;
  int resyncs_ = 0;
};

Instance MakeInstance(const std::string& id) { return testing::MinimalInstance(id); }
TokenHash Hash(std::uint8_t n) { return testing::TokenHashOf(n); }

TEST(ChangeNoticeTest, ParsesWellFormedNoticesOnly) {
  const auto parsed = ParseChangeNotice("abc revoked 00000000-0000-4000-8000-000000000001");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first, "abc");
  EXPECT_EQ(parsed->second.change, InstanceChange::kRevoked);
  EXPECT_EQ(parsed->second.id, "00000000-0000-4000-8000-000000000001");
  for (const char* bad :
       {"", "abc", "abc revoked", "abc revoked ", " revoked x", "abc nope x", "abc revoked x y"}) {
    EXPECT_FALSE(ParseChangeNotice(bad).has_value()) << bad;
  }
}

class ChangeFeedTest : public ::testing::Test {
 protected:
  testing::PostgresBackend backend_;
  std::unique_ptr<PostgresStore> mine_ = PostgresStore::Open(backend_.Options());
  std::unique_ptr<PostgresStore> other_ = PostgresStore::Open(backend_.Options());
  Events events_;
  std::unique_ptr<PostgresChangeFeed> feed_ = PostgresChangeFeed::Start(
      backend_.Options(), mine_->origin(), [this](const InstanceEvent& e) { events_.Add(e); },
      [this] { events_.Resync(); });

  void SetUp() override { ASSERT_TRUE(events_.WaitResyncs(1, 5s)); }
};

// A move (host changed) is an update like any other: it reaches the other replicas (their node
// agents read the instance and see the new host).
TEST_F(ChangeFeedTest, AHostChangeArrivesAsAnUpdate) {
  const std::string id = "00000000-0000-4000-8000-0000000000b1";
  Instance instance = MakeInstance(id);
  instance.host = "node-a";
  ASSERT_TRUE(other_->Create(instance, Hash(5)).has_value());
  instance.host = "node-b";
  ASSERT_TRUE(other_->Update(instance).has_value());
  const auto events = events_.WaitFor(2, 2s);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].change, InstanceChange::kUpdated);
  EXPECT_EQ(events[1].id, id);
  EXPECT_EQ(mine_->Get(id)->host, "node-b");
}

TEST_F(ChangeFeedTest, AnotherStoresWritesArriveWithinASecondAndOwnAreSkipped) {
  const std::string id = "00000000-0000-4000-8000-0000000000a1";
  ASSERT_TRUE(mine_->Create(MakeInstance("00000000-0000-4000-8000-0000000000a2"), Hash(2)));
  Instance instance = MakeInstance(id);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(other_->Create(instance, Hash(1)).has_value());
  ASSERT_EQ(events_.WaitFor(1, 1s).size(), 1U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  instance.name = "renamed";
  ASSERT_TRUE(other_->Update(instance).has_value());
  instance.state = InstanceState::kRevoked;
  ASSERT_TRUE(other_->Update(instance).has_value());
  ASSERT_TRUE(other_->Update(instance).has_value());  // revoked again: an update, not a revocation
  ASSERT_TRUE(other_->SetTokenHash(id, Hash(3)).has_value());
  ASSERT_TRUE(other_->Delete(id).has_value());
  EXPECT_FALSE(other_->Delete(id).has_value());  // nothing written, nothing sent
  const auto events = events_.WaitFor(6, 2s);
  ASSERT_EQ(events.size(), 6U);
  const std::vector<InstanceChange> expected = {
      InstanceChange::kCreated, InstanceChange::kUpdated,      InstanceChange::kRevoked,
      InstanceChange::kUpdated, InstanceChange::kTokenRotated, InstanceChange::kDeleted};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(events[i].change, expected[i]) << i;
    EXPECT_EQ(events[i].id, id) << i;
    EXPECT_FALSE(events[i].instance.has_value());
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(events_.WaitFor(7, 0ms).size(), 6U);  // the own create never arrived
}

TEST_F(ChangeFeedTest, RelistensAfterLosingItsConnection) {
  backend_.Query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()");
  ASSERT_TRUE(events_.WaitResyncs(2, 5s));  // reconnected, and told to drop its cache
  EXPECT_TRUE(feed_->Listening());
  ASSERT_TRUE(other_->Create(MakeInstance("00000000-0000-4000-8000-0000000000b1"), Hash(1)));
  EXPECT_EQ(events_.WaitFor(1, 1s).size(), 1U);
}

}  // namespace
}  // namespace seedwell

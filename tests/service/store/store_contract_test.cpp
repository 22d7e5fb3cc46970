// The Store contract (service/store/store.h), run against every back end: SQLite and PostgreSQL
// (a real server, tests/testutil/postgres_server.h), so the two cannot drift. Tests of one back
// end alone are in sqlite_store_test.cpp and postgres_store_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "service/store/store.h"
#include "service/usage_transport.h"
#include "tests/testutil/store_backends.h"

namespace seedwell {
namespace {

std::string IdFor(int n) {
  char buffer[40];
  (void)std::snprintf(buffer, sizeof buffer, "00000000-0000-4000-8000-%012d", n);
  return buffer;
}

TokenHash HashFor(int n) {
  TokenHash hash{};
  hash[0] = static_cast<std::uint8_t>(n);
  hash[1] = static_cast<std::uint8_t>(n >> 8);
  hash[31] = 0xAA;
  return hash;
}

Instance MakeInstance(int n, const std::string& project = "p1") {
  Instance instance;
  instance.id = IdFor(n);
  instance.project_id = project;
  instance.name = "vm" + std::to_string(n);
  instance.hostname = "vm" + std::to_string(n);
  instance.availability_zone = "az1";
  instance.metadata = {{"k", "v"}};
  instance.allowed_cidrs = {"10.0.0.0/8", "2001:db8::/32"};
  instance.rate_limit = RateLimit{100, 1000};
  instance.sealing_public_key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
  instance.host = "compute-" + std::to_string(n);
  instance.created_at_ms = 1000 + n;
  instance.updated_at_ms = 2000 + n;
  return instance;
}

template <typename Backend>
class StoreContractTest : public ::testing::Test {
 protected:
  Backend backend_;
  std::unique_ptr<Store> store_ = backend_.Open();
};

struct BackendNames {
  template <typename Backend>
  static std::string GetName(int) {
    return Backend::kName;
  }
};

using Backends = ::testing::Types<testing::SqliteBackend, testing::PostgresBackend>;
TYPED_TEST_SUITE(StoreContractTest, Backends, BackendNames);

TYPED_TEST(StoreContractTest, CreateGetRoundTripsEveryField) {
  Instance instance = MakeInstance(1);
  instance.rate_limit.reset();
  instance.sealing_public_key.reset();
  instance.host.reset();
  ASSERT_TRUE(this->store_->Create(instance, HashFor(1)).has_value());
  EXPECT_EQ(*this->store_->Get(instance.id), instance);
  const Instance full = MakeInstance(2);
  ASSERT_TRUE(this->store_->Create(full, HashFor(2)).has_value());
  EXPECT_EQ(*this->store_->Get(full.id), full);
  EXPECT_EQ(this->store_->Get(IdFor(3)).error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreContractTest, DuplicateIdOrTokenIsAlreadyExists) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  EXPECT_EQ(this->store_->Create(MakeInstance(1), HashFor(2)).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(this->store_->Create(MakeInstance(2), HashFor(1)).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(this->store_->CountByState()->active, 1U);  // no partial write
}

TYPED_TEST(StoreContractTest, ConcurrentCreatesOfOneIdExactlyOneWins) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> already{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto created = this->store_->Create(MakeInstance(7), HashFor(100 + t));
      if (created)
        ++wins;
      else if (created.error().code == ErrorCode::kAlreadyExists)
        ++already;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(already.load(), kThreads - 1);
}

TYPED_TEST(StoreContractTest, ConcurrentCreatesFromTwoConnections) {
  auto other = this->backend_.Open();
  std::atomic<int> wins{0};
  std::thread a(
      [&] { wins += this->store_->Create(MakeInstance(9), HashFor(1)).has_value() ? 1 : 0; });
  std::thread b([&] { wins += other->Create(MakeInstance(9), HashFor(2)).has_value() ? 1 : 0; });
  a.join();
  b.join();
  EXPECT_EQ(wins.load(), 1);
}

TYPED_TEST(StoreContractTest, ListFiltersAndPaginatesInIdOrder) {
  for (int n = 1; n <= 7; ++n) {
    ASSERT_TRUE(this->store_->Create(MakeInstance(n, n % 2 == 0 ? "even" : "odd"), HashFor(n)));
  }
  Instance revoked = MakeInstance(3, "odd");
  revoked.state = InstanceState::kRevoked;
  ASSERT_TRUE(this->store_->Update(revoked).has_value());

  std::vector<std::string> ids;
  ListQuery query;
  query.limit = 3;
  for (int page = 0; page < 10; ++page) {
    auto result = this->store_->List(query);
    ASSERT_TRUE(result.has_value());
    EXPECT_LE(result->instances.size(), 3U);
    for (const auto& instance : result->instances) ids.push_back(instance.id);
    if (result->next_cursor.empty()) break;
    query.cursor = result->next_cursor;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{IdFor(1), IdFor(2), IdFor(3), IdFor(4), IdFor(5),
                                           IdFor(6), IdFor(7)}));

  ListQuery odd_active;
  odd_active.project_id = "odd";
  odd_active.state = InstanceState::kActive;
  auto filtered = this->store_->List(odd_active);
  ASSERT_TRUE(filtered.has_value());
  ASSERT_EQ(filtered->instances.size(), 3U);  // 1, 5, 7
  EXPECT_EQ(filtered->instances[1].id, IdFor(5));
  EXPECT_TRUE(filtered->next_cursor.empty());

  ListQuery bad;
  for (const char* cursor : {"!!!", "Zm9v", "YWJj"}) {
    bad.cursor = cursor;
    EXPECT_EQ(this->store_->List(bad).error().code, ErrorCode::kInvalidArgument) << cursor;
  }
  ListQuery zero;
  zero.limit = 0;  // clamped to 1
  EXPECT_EQ(this->store_->List(zero)->instances.size(), 1U);
}

TYPED_TEST(StoreContractTest, UpdateChangesMutableFieldsOnly) {
  const Instance original = MakeInstance(1);
  ASSERT_TRUE(this->store_->Create(original, HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(original.id, UsageTransport::kHttp, 10, 5000).has_value());
  Instance changed = original;
  changed.name = "renamed";
  changed.project_id = "other";  // ignored: not mutable
  changed.created_at_ms = 1;     // ignored
  changed.bytes_issued = 999;    // ignored
  changed.rate_limit.reset();
  changed.state = InstanceState::kRevoked;
  changed.updated_at_ms = 9000;
  ASSERT_TRUE(this->store_->Update(changed).has_value());
  const Instance stored = *this->store_->Get(original.id);
  EXPECT_EQ(stored.name, "renamed");
  EXPECT_EQ(stored.project_id, "p1");
  EXPECT_EQ(stored.created_at_ms, original.created_at_ms);
  EXPECT_EQ(stored.bytes_issued, 10U);
  EXPECT_FALSE(stored.rate_limit.has_value());
  EXPECT_EQ(stored.state, InstanceState::kRevoked);
  EXPECT_EQ(stored.updated_at_ms, 9000);
  EXPECT_EQ(this->store_->Update(MakeInstance(2)).error().code, ErrorCode::kNotFound);
}

// An instance's host (its compute node) is stored, moved and cleared by Update, and filters the
// list (as node agents list their instances), alone and with the other filters, across pages.
TYPED_TEST(StoreContractTest, HostIsStoredMovedClearedAndFiltered) {
  for (int n = 1; n <= 6; ++n) {
    Instance instance = MakeInstance(n);
    if (n == 6) {
      instance.host.reset();
    } else {
      instance.host = n % 2 == 0 ? "node-b" : "node-a";  // a: 1 3 5; b: 2 4
    }
    ASSERT_TRUE(this->store_->Create(instance, HashFor(n)).has_value());
  }
  const auto ids_on = [this](const std::string& host, std::optional<InstanceState> state) {
    std::vector<std::string> ids;
    ListQuery query;
    query.host = host;
    query.state = state;
    query.limit = 2;
    for (int page = 0; page < 10; ++page) {
      auto result = this->store_->List(query);
      EXPECT_TRUE(result.has_value());
      if (!result) break;
      for (const auto& instance : result->instances) {
        EXPECT_EQ(instance.host, host);
        ids.push_back(instance.id);
      }
      if (result->next_cursor.empty()) break;
      query.cursor = result->next_cursor;
    }
    return ids;
  };
  EXPECT_EQ(ids_on("node-a", std::nullopt),
            (std::vector<std::string>{IdFor(1), IdFor(3), IdFor(5)}));
  EXPECT_EQ(ids_on("node-b", std::nullopt), (std::vector<std::string>{IdFor(2), IdFor(4)}));
  EXPECT_TRUE(ids_on("node-c", std::nullopt).empty());
  EXPECT_TRUE(ids_on("node", std::nullopt).empty());  // equality, not a prefix

  Instance moved = *this->store_->Get(IdFor(3));
  moved.host = "node-b";
  ASSERT_TRUE(this->store_->Update(moved).has_value());
  EXPECT_EQ(this->store_->Get(IdFor(3))->host, "node-b");
  Instance cleared = *this->store_->Get(IdFor(5));
  cleared.host.reset();
  ASSERT_TRUE(this->store_->Update(cleared).has_value());
  EXPECT_FALSE(this->store_->Get(IdFor(5))->host.has_value());
  Instance revoked = *this->store_->Get(IdFor(4));
  revoked.state = InstanceState::kRevoked;
  ASSERT_TRUE(this->store_->Update(revoked).has_value());
  EXPECT_EQ(this->store_->Get(IdFor(4))->host, "node-b");  // a revocation keeps the host

  EXPECT_EQ(ids_on("node-a", std::nullopt), (std::vector<std::string>{IdFor(1)}));
  EXPECT_EQ(ids_on("node-b", std::nullopt),
            (std::vector<std::string>{IdFor(2), IdFor(3), IdFor(4)}));
  EXPECT_EQ(ids_on("node-b", InstanceState::kActive),
            (std::vector<std::string>{IdFor(2), IdFor(3)}));
  ListQuery all;
  all.limit = 10;
  EXPECT_EQ(this->store_->List(all)->instances.size(), 6U);  // no host filter: every instance
}

TYPED_TEST(StoreContractTest, TokenHashesFindAndReplace) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->Create(MakeInstance(2), HashFor(2)).has_value());
  EXPECT_EQ(this->store_->FindByTokenHash(HashFor(2))->id, IdFor(2));
  ASSERT_TRUE(this->store_->SetTokenHash(IdFor(2), HashFor(3)).has_value());
  EXPECT_EQ(this->store_->FindByTokenHash(HashFor(2)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->FindByTokenHash(HashFor(3))->id, IdFor(2));
  EXPECT_EQ(this->store_->SetTokenHash(IdFor(2), HashFor(1)).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(this->store_->SetTokenHash(IdFor(9), HashFor(9)).error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreContractTest, UsageAccumulatesAndSaturates) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  EXPECT_EQ(*this->store_->GetUsage(IdFor(1)), (Usage{0, std::nullopt, {}}));
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 64, 100).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 36, 200).has_value());
  EXPECT_EQ(*this->store_->GetUsage(IdFor(1)), (Usage{100, 200, {{"http", 100}}}));
  ASSERT_TRUE(
      this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, UINT64_MAX, 300).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 5, 400).has_value());
  const auto saturated = *this->store_->GetUsage(IdFor(1));
  EXPECT_EQ(saturated.bytes_issued, static_cast<std::uint64_t>(INT64_MAX));
  EXPECT_EQ(saturated.bytes_by_transport.at("http"), static_cast<std::uint64_t>(INT64_MAX));
  EXPECT_EQ(this->store_->RecordUsage(IdFor(2), UsageTransport::kHttp, 1, 1).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->GetUsage(IdFor(2)).error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreContractTest, UsageIsCountedPerTransportAndInTotal) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->Create(MakeInstance(2), HashFor(2)).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 64, 100).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 255, 110).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 45, 120).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kOpenStack, 0, 130).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(2), UsageTransport::kPollen, 7, 140).has_value());
  // A zero count marks the instance seen but gives its transport no entry.
  EXPECT_EQ(*this->store_->GetUsage(IdFor(1)), (Usage{364, 130, {{"egd", 300}, {"http", 64}}}));
  EXPECT_EQ(*this->store_->GetUsage(IdFor(2)), (Usage{7, 140, {{"pollen", 7}}}));
  // The total column the instance rows carry agrees.
  EXPECT_EQ(this->store_->Get(IdFor(1))->bytes_issued, 364U);
}

TYPED_TEST(StoreContractTest, UsageStoresEveryTransportUnderItsName) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  for (const UsageTransport transport : kUsageTransports) {
    EXPECT_TRUE(this->store_->RecordUsage(IdFor(1), transport, 1, 100).has_value())
        << UsageTransportName(transport);
  }
  const auto usage = *this->store_->GetUsage(IdFor(1));
  EXPECT_EQ(usage.bytes_by_transport.size(), kUsageTransports.size());
  for (const UsageTransport transport : kUsageTransports) {
    EXPECT_EQ(usage.bytes_by_transport.at(std::string(UsageTransportName(transport))), 1U);
  }
}

TYPED_TEST(StoreContractTest, UsageTotalAndTransportCounterChangeTogetherOrNotAtAll) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 10, 100).has_value());
  // Every per-transport write fails after the total was updated.
  this->backend_.FailTransportUsage(true);
  EXPECT_FALSE(this->store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 5, 200).has_value());
  EXPECT_EQ(*this->store_->GetUsage(IdFor(1)), (Usage{10, 100, {{"http", 10}}}));  // rolled back
  this->backend_.FailTransportUsage(false);
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 5, 200).has_value());
  EXPECT_EQ(*this->store_->GetUsage(IdFor(1)), (Usage{15, 200, {{"egd", 5}, {"http", 10}}}));
}

TYPED_TEST(StoreContractTest, DeletingAnInstanceDeletesItsTransportCounters) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 99, 100).has_value());
  ASSERT_TRUE(this->store_->Delete(IdFor(1)).has_value());
  // A new instance under the same id starts from zero rather than inheriting the old rows.
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  EXPECT_EQ(*this->store_->GetUsage(IdFor(1)), (Usage{0, std::nullopt, {}}));
  this->store_.reset();
  EXPECT_EQ(this->backend_.Count("instance_usage"), 0);
}

TYPED_TEST(StoreContractTest, DeleteRemovesInstanceButKeepsAudit) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  const ConfigDriveBuild build{IdFor(1), 5000, "key-1", 65536};
  ASSERT_TRUE(this->store_->RecordConfigDriveBuild(build).has_value());
  ASSERT_TRUE(this->store_->Delete(IdFor(1)).has_value());
  EXPECT_EQ(this->store_->Get(IdFor(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->FindByTokenHash(HashFor(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->Delete(IdFor(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*this->store_->ListConfigDriveBuilds(IdFor(1)), std::vector<ConfigDriveBuild>{build});
  // The token hash of a deleted instance may be used again.
  EXPECT_TRUE(this->store_->Create(MakeInstance(2), HashFor(1)).has_value());
}

TYPED_TEST(StoreContractTest, AuditRecordsListInOrderAndNeedAnInstance) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->Create(MakeInstance(2), HashFor(2)).has_value());
  ASSERT_TRUE(this->store_->RecordConfigDriveBuild({IdFor(1), 10, "k1", 1}).has_value());
  ASSERT_TRUE(this->store_->RecordConfigDriveBuild({IdFor(2), 15, "k1", 3}).has_value());
  ASSERT_TRUE(this->store_->RecordConfigDriveBuild({IdFor(1), 20, "k2", 2}).has_value());
  auto builds = this->store_->ListConfigDriveBuilds(IdFor(1));
  ASSERT_EQ(builds->size(), 2U);
  EXPECT_EQ((*builds)[0].key_id, "k1");
  EXPECT_EQ((*builds)[1].built_at_ms, 20);
  EXPECT_EQ(this->store_->RecordConfigDriveBuild({IdFor(3), 1, "k", 1}).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(this->store_->ListConfigDriveBuilds(IdFor(3))->empty());
}

TYPED_TEST(StoreContractTest, CountsByStateAndPings) {
  EXPECT_EQ(*this->store_->CountByState(), (StateCounts{0, 0}));
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(this->store_->Create(MakeInstance(n), HashFor(n)));
  Instance revoked = MakeInstance(2);
  revoked.state = InstanceState::kRevoked;
  ASSERT_TRUE(this->store_->Update(revoked).has_value());
  EXPECT_EQ(*this->store_->CountByState(), (StateCounts{2, 1}));
  EXPECT_TRUE(this->store_->Ping().has_value());
}

TYPED_TEST(StoreContractTest, ReopenKeepsEverything) {
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(this->store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 77, 123).has_value());
  ASSERT_TRUE(this->store_->RecordConfigDriveBuild({IdFor(1), 10, "k1", 5}).has_value());
  Instance expected = *this->store_->Get(IdFor(1));
  this->store_.reset();
  EXPECT_EQ(this->backend_.SchemaVersion(), this->backend_.LatestVersion());
  auto reopened = this->backend_.Open();
  EXPECT_EQ(*reopened->Get(IdFor(1)), expected);
  EXPECT_EQ(reopened->Get(IdFor(1))->bytes_issued, 77U);
  EXPECT_EQ(*reopened->GetUsage(IdFor(1)), (Usage{77, 123, {{"egd", 77}}}));
  EXPECT_EQ(reopened->FindByTokenHash(HashFor(1))->id, IdFor(1));
  EXPECT_EQ(reopened->ListConfigDriveBuilds(IdFor(1))->size(), 1U);
}

TYPED_TEST(StoreContractTest, RefusesANewerSchema) {
  this->store_.reset();
  const int newer = this->backend_.LatestVersion() + 1;
  this->backend_.SetSchemaVersion(newer);
  try {
    this->backend_.Open();
    FAIL() << "a newer schema was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
  EXPECT_EQ(this->backend_.SchemaVersion(), newer);  // left untouched
}

TYPED_TEST(StoreContractTest, UsageFromTwoStoresAddsUp) {
  // Two replicas flushing one instance's counters at once must both count.
  ASSERT_TRUE(this->store_->Create(MakeInstance(1), HashFor(1)).has_value());
  auto other = this->backend_.Open();
  constexpr int kRounds = 50;
  std::thread a([&] {
    for (int i = 0; i < kRounds; ++i)
      (void)this->store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 3, 10);
  });
  std::thread b([&] {
    for (int i = 0; i < kRounds; ++i)
      (void)other->RecordUsage(IdFor(1), UsageTransport::kEgd, 5, 20);
  });
  a.join();
  b.join();
  const Usage usage = *this->store_->GetUsage(IdFor(1));
  EXPECT_EQ(usage.bytes_issued, 8U * kRounds);
  EXPECT_EQ(usage.bytes_by_transport.at("http"), 3U * kRounds);
  EXPECT_EQ(usage.bytes_by_transport.at("egd"), 5U * kRounds);
}

TYPED_TEST(StoreContractTest, ReplicasRegisterHeartbeatAndLeave) {
  using std::chrono::milliseconds;
  ReplicaRecord a{"replica-a", "h1", "1.0", "k1", 1000, 0, false};
  const ReplicaRecord b{"replica-b", "h2", "1.1", "k2", 2000, 0, false};
  EXPECT_TRUE(this->store_->ListReplicas(milliseconds(3000))->empty());
  ASSERT_TRUE(this->store_->Heartbeat(b, std::chrono::hours(1)).has_value());
  ASSERT_TRUE(this->store_->Heartbeat(a, std::chrono::hours(1)).has_value());
  auto listed = *this->store_->ListReplicas(milliseconds(3000));
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].id, "replica-a");  // id order
  EXPECT_EQ(listed[1].host, "h2");
  EXPECT_EQ(listed[1].version, "1.1");
  EXPECT_EQ(listed[1].key_id, "k2");
  EXPECT_EQ(listed[1].started_at_ms, 2000);
  EXPECT_TRUE(listed[0].live && listed[1].live);
  EXPECT_GT(listed[0].last_heartbeat_ms, 1'600'000'000'000);  // stamped by the store's clock

  // A heartbeat refreshes the row (a rotated key id) without adding one.
  a.key_id = "k3";
  ASSERT_TRUE(this->store_->Heartbeat(a, std::chrono::hours(1)).has_value());
  listed = *this->store_->ListReplicas(milliseconds(3000));
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].key_id, "k3");

  // A replica silent for longer than live_within is listed, but not live.
  std::this_thread::sleep_for(milliseconds(60));
  ASSERT_TRUE(this->store_->Heartbeat(a, std::chrono::hours(1)).has_value());
  listed = *this->store_->ListReplicas(milliseconds(40));
  EXPECT_TRUE(listed[0].live);
  EXPECT_FALSE(listed[1].live);

  // Another store (another replica) sees the same table; forget_after drops silent rows.
  if (std::string(TypeParam::kName) == "postgresql") {
    auto other = this->backend_.Open();
    EXPECT_EQ(other->ListReplicas(milliseconds(3000))->size(), 2U);
  }
  ASSERT_TRUE(this->store_->Heartbeat(a, milliseconds(40)).has_value());
  listed = *this->store_->ListReplicas(milliseconds(3000));
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].id, "replica-a");

  // A clean shutdown removes the row; removing an unknown id is not an error.
  EXPECT_TRUE(this->store_->RemoveReplica("replica-a").has_value());
  EXPECT_TRUE(this->store_->RemoveReplica("replica-a").has_value());
  EXPECT_TRUE(this->store_->ListReplicas(milliseconds(3000))->empty());
}

}  // namespace
}  // namespace seedwell

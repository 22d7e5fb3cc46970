#include "service/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "service/store/sqlite_migrations.h"
#include "service/usage_transport.h"
#include "tests/testutil/sqlite_count.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

// TempDir is a directory removed with everything in it when the test ends.
using testing::TempDir;

std::string IdFor(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "00000000-0000-4000-8000-%012d", n);
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
  instance.created_at_ms = 1000 + n;
  instance.updated_at_ms = 2000 + n;
  return instance;
}

void SetUserVersion(const std::string& path, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

int UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const int version = ReadSchemaVersion(db);
  sqlite3_close(db);
  return version;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.File("seedwell.db");
  std::unique_ptr<SqliteStore> store_ = SqliteStore::Open(path_);
};

TEST_F(SqliteStoreTest, CreateGetRoundTripsEveryField) {
  Instance instance = MakeInstance(1);
  instance.rate_limit.reset();
  instance.sealing_public_key.reset();
  ASSERT_TRUE(store_->Create(instance, HashFor(1)).has_value());
  EXPECT_EQ(*store_->Get(instance.id), instance);
  const Instance full = MakeInstance(2);
  ASSERT_TRUE(store_->Create(full, HashFor(2)).has_value());
  EXPECT_EQ(*store_->Get(full.id), full);
  EXPECT_EQ(store_->Get(IdFor(3)).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, DuplicateIdOrTokenIsAlreadyExists) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  EXPECT_EQ(store_->Create(MakeInstance(1), HashFor(2)).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->Create(MakeInstance(2), HashFor(1)).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->CountByState()->active, 1U);  // no partial write
}

TEST_F(SqliteStoreTest, ConcurrentCreatesOfOneIdExactlyOneWins) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> already{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto created = store_->Create(MakeInstance(7), HashFor(100 + t));
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

TEST_F(SqliteStoreTest, ConcurrentCreatesFromTwoConnections) {
  auto other = SqliteStore::Open(path_);
  std::atomic<int> wins{0};
  std::thread a([&] { wins += store_->Create(MakeInstance(9), HashFor(1)).has_value() ? 1 : 0; });
  std::thread b([&] { wins += other->Create(MakeInstance(9), HashFor(2)).has_value() ? 1 : 0; });
  a.join();
  b.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_F(SqliteStoreTest, ListFiltersAndPaginatesInIdOrder) {
  for (int n = 1; n <= 7; ++n) {
    ASSERT_TRUE(store_->Create(MakeInstance(n, n % 2 == 0 ? "even" : "odd"), HashFor(n)));
  }
  Instance revoked = MakeInstance(3, "odd");
  revoked.state = InstanceState::kRevoked;
  ASSERT_TRUE(store_->Update(revoked).has_value());

  std::vector<std::string> ids;
  ListQuery query;
  query.limit = 3;
  for (int page = 0; page < 10; ++page) {
    auto result = store_->List(query);
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
  auto filtered = store_->List(odd_active);
  ASSERT_TRUE(filtered.has_value());
  ASSERT_EQ(filtered->instances.size(), 3U);  // 1, 5, 7
  EXPECT_EQ(filtered->instances[1].id, IdFor(5));
  EXPECT_TRUE(filtered->next_cursor.empty());

  ListQuery bad;
  for (const char* cursor : {"!!!", "Zm9v", "YWJj"}) {
    bad.cursor = cursor;
    EXPECT_EQ(store_->List(bad).error().code, ErrorCode::kInvalidArgument) << cursor;
  }
  ListQuery zero;
  zero.limit = 0;  // clamped to 1
  EXPECT_EQ(store_->List(zero)->instances.size(), 1U);
}

TEST_F(SqliteStoreTest, UpdateChangesMutableFieldsOnly) {
  const Instance original = MakeInstance(1);
  ASSERT_TRUE(store_->Create(original, HashFor(1)).has_value());
  ASSERT_TRUE(store_->RecordUsage(original.id, UsageTransport::kHttp, 10, 5000).has_value());
  Instance changed = original;
  changed.name = "renamed";
  changed.project_id = "other";  // ignored: not mutable
  changed.created_at_ms = 1;     // ignored
  changed.bytes_issued = 999;    // ignored
  changed.rate_limit.reset();
  changed.state = InstanceState::kRevoked;
  changed.updated_at_ms = 9000;
  ASSERT_TRUE(store_->Update(changed).has_value());
  const Instance stored = *store_->Get(original.id);
  EXPECT_EQ(stored.name, "renamed");
  EXPECT_EQ(stored.project_id, "p1");
  EXPECT_EQ(stored.created_at_ms, original.created_at_ms);
  EXPECT_EQ(stored.bytes_issued, 10U);
  EXPECT_FALSE(stored.rate_limit.has_value());
  EXPECT_EQ(stored.state, InstanceState::kRevoked);
  EXPECT_EQ(stored.updated_at_ms, 9000);
  EXPECT_EQ(store_->Update(MakeInstance(2)).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, TokenHashesFindAndReplace) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(store_->Create(MakeInstance(2), HashFor(2)).has_value());
  EXPECT_EQ(store_->FindByTokenHash(HashFor(2))->id, IdFor(2));
  ASSERT_TRUE(store_->SetTokenHash(IdFor(2), HashFor(3)).has_value());
  EXPECT_EQ(store_->FindByTokenHash(HashFor(2)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->FindByTokenHash(HashFor(3))->id, IdFor(2));
  EXPECT_EQ(store_->SetTokenHash(IdFor(2), HashFor(1)).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->SetTokenHash(IdFor(9), HashFor(9)).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, UsageAccumulatesAndSaturates) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  EXPECT_EQ(*store_->GetUsage(IdFor(1)), (Usage{0, std::nullopt, {}}));
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 64, 100).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 36, 200).has_value());
  EXPECT_EQ(*store_->GetUsage(IdFor(1)), (Usage{100, 200, {{"http", 100}}}));
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kHttp, UINT64_MAX, 300).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 5, 400).has_value());
  const auto saturated = *store_->GetUsage(IdFor(1));
  EXPECT_EQ(saturated.bytes_issued, static_cast<std::uint64_t>(INT64_MAX));
  EXPECT_EQ(saturated.bytes_by_transport.at("http"), static_cast<std::uint64_t>(INT64_MAX));
  EXPECT_EQ(store_->RecordUsage(IdFor(2), UsageTransport::kHttp, 1, 1).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetUsage(IdFor(2)).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, UsageIsCountedPerTransportAndInTotal) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(store_->Create(MakeInstance(2), HashFor(2)).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 64, 100).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 255, 110).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 45, 120).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kOpenStack, 0, 130).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(2), UsageTransport::kPollen, 7, 140).has_value());
  // A zero count marks the instance seen but gives its transport no entry.
  EXPECT_EQ(*store_->GetUsage(IdFor(1)), (Usage{364, 130, {{"egd", 300}, {"http", 64}}}));
  EXPECT_EQ(*store_->GetUsage(IdFor(2)), (Usage{7, 140, {{"pollen", 7}}}));
  // The total column the instance rows carry agrees.
  EXPECT_EQ(store_->Get(IdFor(1))->bytes_issued, 364U);
}

TEST_F(SqliteStoreTest, UsageStoresEveryTransportUnderItsName) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  for (const UsageTransport transport : kUsageTransports) {
    EXPECT_TRUE(store_->RecordUsage(IdFor(1), transport, 1, 100).has_value())
        << UsageTransportName(transport);
  }
  const auto usage = *store_->GetUsage(IdFor(1));
  EXPECT_EQ(usage.bytes_by_transport.size(), kUsageTransports.size());
  for (const UsageTransport transport : kUsageTransports) {
    EXPECT_EQ(usage.bytes_by_transport.at(std::string(UsageTransportName(transport))), 1U);
  }
}

TEST_F(SqliteStoreTest, UsageTotalAndTransportCounterChangeTogetherOrNotAtAll) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kHttp, 10, 100).has_value());
  // Another connection makes every per-transport write fail after the total was updated.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER fail_usage BEFORE INSERT ON instance_usage "
                         "BEGIN SELECT RAISE(ABORT, 'injected'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_FALSE(store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 5, 200).has_value());
  EXPECT_EQ(*store_->GetUsage(IdFor(1)), (Usage{10, 100, {{"http", 10}}}));  // rolled back
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER fail_usage", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 5, 200).has_value());
  EXPECT_EQ(*store_->GetUsage(IdFor(1)), (Usage{15, 200, {{"egd", 5}, {"http", 10}}}));
}

TEST_F(SqliteStoreTest, DeletingAnInstanceDeletesItsTransportCounters) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 99, 100).has_value());
  ASSERT_TRUE(store_->Delete(IdFor(1)).has_value());
  // A new instance under the same id starts from zero rather than inheriting the old rows.
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  EXPECT_EQ(*store_->GetUsage(IdFor(1)), (Usage{0, std::nullopt, {}}));
  store_.reset();
  EXPECT_EQ(testing::SqliteCount(path_, "SELECT count(*) FROM instance_usage"), 0);
}

TEST_F(SqliteStoreTest, DeleteRemovesInstanceButKeepsAudit) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  const ConfigDriveBuild build{IdFor(1), 5000, "key-1", 65536};
  ASSERT_TRUE(store_->RecordConfigDriveBuild(build).has_value());
  ASSERT_TRUE(store_->Delete(IdFor(1)).has_value());
  EXPECT_EQ(store_->Get(IdFor(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->FindByTokenHash(HashFor(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->Delete(IdFor(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*store_->ListConfigDriveBuilds(IdFor(1)), std::vector<ConfigDriveBuild>{build});
  // The token hash of a deleted instance may be used again.
  EXPECT_TRUE(store_->Create(MakeInstance(2), HashFor(1)).has_value());
}

TEST_F(SqliteStoreTest, AuditRecordsListInOrderAndNeedAnInstance) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(store_->Create(MakeInstance(2), HashFor(2)).has_value());
  ASSERT_TRUE(store_->RecordConfigDriveBuild({IdFor(1), 10, "k1", 1}).has_value());
  ASSERT_TRUE(store_->RecordConfigDriveBuild({IdFor(2), 15, "k1", 3}).has_value());
  ASSERT_TRUE(store_->RecordConfigDriveBuild({IdFor(1), 20, "k2", 2}).has_value());
  auto builds = store_->ListConfigDriveBuilds(IdFor(1));
  ASSERT_EQ(builds->size(), 2U);
  EXPECT_EQ((*builds)[0].key_id, "k1");
  EXPECT_EQ((*builds)[1].built_at_ms, 20);
  EXPECT_EQ(store_->RecordConfigDriveBuild({IdFor(3), 1, "k", 1}).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->ListConfigDriveBuilds(IdFor(3))->empty());
}

TEST_F(SqliteStoreTest, CountsByStateAndPings) {
  EXPECT_EQ(*store_->CountByState(), (StateCounts{0, 0}));
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(store_->Create(MakeInstance(n), HashFor(n)));
  Instance revoked = MakeInstance(2);
  revoked.state = InstanceState::kRevoked;
  ASSERT_TRUE(store_->Update(revoked).has_value());
  EXPECT_EQ(*store_->CountByState(), (StateCounts{2, 1}));
  EXPECT_TRUE(store_->Ping().has_value());
}

TEST_F(SqliteStoreTest, ReopenKeepsEverything) {
  ASSERT_TRUE(store_->Create(MakeInstance(1), HashFor(1)).has_value());
  ASSERT_TRUE(store_->RecordUsage(IdFor(1), UsageTransport::kEgd, 77, 123).has_value());
  ASSERT_TRUE(store_->RecordConfigDriveBuild({IdFor(1), 10, "k1", 5}).has_value());
  Instance expected = *store_->Get(IdFor(1));
  store_.reset();
  EXPECT_EQ(UserVersion(path_), LatestSchemaVersion());
  auto reopened = SqliteStore::Open(path_);
  EXPECT_EQ(*reopened->Get(IdFor(1)), expected);
  EXPECT_EQ(reopened->Get(IdFor(1))->bytes_issued, 77U);
  EXPECT_EQ(*reopened->GetUsage(IdFor(1)), (Usage{77, 123, {{"egd", 77}}}));
  EXPECT_EQ(reopened->FindByTokenHash(HashFor(1))->id, IdFor(1));
  EXPECT_EQ(reopened->ListConfigDriveBuilds(IdFor(1))->size(), 1U);
}

TEST(SqliteStoreOpenTest, MigratesAFreshDatabase) {
  TempDir dir;
  const std::string path = dir.File("fresh.db");
  { auto store = SqliteStore::Open(path); }
  EXPECT_EQ(UserVersion(path), LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 1);
}

TEST(SqliteStoreOpenTest, ApplyMigrationsIsIdempotent) {
  TempDir dir;
  const std::string path = dir.File("again.db");
  { auto store = SqliteStore::Open(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_NO_THROW(ApplyMigrations(db));
  EXPECT_EQ(ReadSchemaVersion(db), LatestSchemaVersion());
  sqlite3_close(db);
}

TEST(SqliteStoreOpenTest, RefusesANewerSchema) {
  TempDir dir;
  const std::string path = dir.File("newer.db");
  { auto store = SqliteStore::Open(path); }
  SetUserVersion(path, LatestSchemaVersion() + 1);
  try {
    SqliteStore::Open(path);
    FAIL() << "a newer schema was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
  EXPECT_EQ(UserVersion(path), LatestSchemaVersion() + 1);  // left untouched
}

TEST(SqliteStoreOpenTest, RefusesUnopenableOrCorruptFiles) {
  TempDir dir;
  EXPECT_THROW(SqliteStore::Open(dir.File("no/such/dir/x.db")), std::runtime_error);
  const std::string junk = dir.File("junk.db");
  std::ofstream(junk) << std::string(4096, 'x');
  EXPECT_THROW(SqliteStore::Open(junk), std::runtime_error);
}

}  // namespace
}  // namespace seedwell

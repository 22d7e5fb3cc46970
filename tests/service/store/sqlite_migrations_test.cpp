#include "service/store/sqlite_migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "service/store/sqlite_store.h"
#include "tests/testutil/sqlite_count.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using testing::TempDir;

constexpr char kIdA[] = "00000000-0000-4000-8000-00000000000a";
constexpr char kIdB[] = "00000000-0000-4000-8000-00000000000b";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ExecOrFail runs |sql| on |db| and fails the test on error.
void ExecOrFail(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << " in: " << sql;
  sqlite3_free(message);
}

// InsertV1Instance returns SQL adding an instance row as version 1 stored it (|n| < 10 makes the
// token hash unique).
std::string InsertV1Instance(const char* id, int n, std::int64_t bytes) {
  return "INSERT INTO instances (id, project_id, name, hostname, availability_zone, metadata_json, "
         "allowed_cidrs_json, state, created_at_ms, updated_at_ms, last_seen_at_ms, bytes_issued, "
         "token_hash) VALUES ('" +
         std::string(id) + "', 'p', 'vm', 'vm', '', '{}', '[]', 'active', 1, 2, 3, " +
         std::to_string(bytes) + ", x'" + std::string(63, '0') + std::to_string(n) + "')";
}

// MakeV1Database writes, at |path|, a database exactly as a version-1 seedwell left it: the frozen
// version-1 schema, user_version 1, and two instances with usage totals.
void MakeV1Database(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ExecOrFail(db, ReadFile(std::string(SEEDWELL_TEST_DATA_DIR) + "/sqlite_schema_v1.sql"));
  ExecOrFail(db, InsertV1Instance(kIdA, 1, 4096));
  ExecOrFail(db, InsertV1Instance(kIdB, 2, 0));
  ExecOrFail(db, "PRAGMA user_version = 1");
  sqlite3_close(db);
}

TEST(SqliteMigrationsTest, UpgradesAVersion1DatabaseKeepingItsTotals) {
  TempDir dir;
  const std::string path = dir.File("v1.db");
  MakeV1Database(path);
  auto store = SqliteStore::Open(path);
  // The totals and last-seen times survive; per-transport counting starts empty.
  EXPECT_EQ(*store->GetUsage(kIdA), (Usage{4096, 3, {}}));
  EXPECT_EQ(*store->GetUsage(kIdB), (Usage{0, 3, {}}));
  EXPECT_EQ(store->Get(kIdA)->bytes_issued, 4096U);
  // New usage adds to the old total and starts the transport's own counter.
  ASSERT_TRUE(store->RecordUsage(kIdA, UsageTransport::kEgd, 255, 10).has_value());
  ASSERT_TRUE(store->RecordUsage(kIdA, UsageTransport::kHttp, 64, 20).has_value());
  EXPECT_EQ(*store->GetUsage(kIdA), (Usage{4415, 20, {{"egd", 255}, {"http", 64}}}));
  // The upgraded schema still deletes an instance's counters with it.
  ASSERT_TRUE(store->Delete(kIdA).has_value());
  EXPECT_EQ(store->GetUsage(kIdA).error().code, ErrorCode::kNotFound);
  store.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(ReadSchemaVersion(db), LatestSchemaVersion());
  sqlite3_close(db);
  EXPECT_EQ(testing::SqliteCount(path, "SELECT count(*) FROM instance_usage"), 0);
}

TEST(SqliteMigrationsTest, AFailedUpgradeChangesNothing) {
  TempDir dir;
  const std::string path = dir.File("v1-blocked.db");
  MakeV1Database(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // A table in the way of migration 2 makes it fail; the version and data must stay as they were.
  ExecOrFail(db, "CREATE TABLE instance_usage (x INTEGER)");
  EXPECT_THROW(ApplyMigrations(db), std::runtime_error);
  EXPECT_EQ(ReadSchemaVersion(db), 1);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT bytes_issued FROM instances WHERE id = ?1", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  sqlite3_bind_text(stmt, 1, kIdA, -1, SQLITE_STATIC);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 4096);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace seedwell

// SqliteStore alone: opening, migrating and refusing files. The Store contract both back ends
// keep is tested in store_contract_test.cpp.
#include "service/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "service/store/sqlite_migrations.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

// TempDir is a directory removed with everything in it when the test ends.
using testing::TempDir;

int UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const int version = ReadSchemaVersion(db);
  sqlite3_close(db);
  return version;
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

TEST(SqliteStoreOpenTest, RefusesUnopenableOrCorruptFiles) {
  TempDir dir;
  EXPECT_THROW(SqliteStore::Open(dir.File("no/such/dir/x.db")), std::runtime_error);
  const std::string junk = dir.File("junk.db");
  std::ofstream(junk) << std::string(4096, 'x');
  EXPECT_THROW(SqliteStore::Open(junk), std::runtime_error);
}

}  // namespace
}  // namespace seedwell

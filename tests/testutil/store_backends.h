// Store back ends for the contract tests (tests/service/store/store_contract_test.cpp): each opens
// a fresh, empty store of its kind per test and can look past the Store interface (row counts,
// the schema version, an injected failure) the same way for both.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "service/store/postgres_migrations.h"
#include "service/store/postgres_store.h"
#include "service/store/sqlite_migrations.h"
#include "service/store/sqlite_store.h"
#include "tests/testutil/postgres_server.h"
#include "tests/testutil/sqlite_count.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell::testing {

// SqliteBackend: a database file in a temporary directory.
class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
  std::unique_ptr<Store> Open() { return SqliteStore::Open(path_); }
  std::int64_t Count(const std::string& table) {
    return SqliteCount(path_, ("SELECT count(*) FROM " + table).c_str());
  }
  int LatestVersion() { return LatestSchemaVersion(); }
  int SchemaVersion() {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    const int version = ReadSchemaVersion(db);
    sqlite3_close(db);
    return version;
  }
  void SetSchemaVersion(int version) { Exec("PRAGMA user_version = " + std::to_string(version)); }
  // FailTransportUsage makes every write of a per-transport usage counter fail (or not).
  void FailTransportUsage(bool fail) {
    Exec(fail ? "CREATE TRIGGER fail_usage BEFORE INSERT ON instance_usage "
                "BEGIN SELECT RAISE(ABORT, 'injected'); END"
              : "DROP TRIGGER fail_usage");
  }

 private:
  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  TempDir dir_;
  std::string path_ = dir_.File("seedwell.db");
};

// PostgresBackend: a new database on the test binary's PostgreSQL server, dropped afterwards.
class PostgresBackend {
 public:
  static constexpr const char* kName = "postgresql";
  ~PostgresBackend() { PostgresServer::Shared().DropDatabase(db_); }
  std::unique_ptr<Store> Open() { return PostgresStore::Open(Options()); }
  PostgresOptions Options() const {
    PostgresOptions options;
    options.url = PostgresServer::Shared().Url(db_);
    return options;
  }
  std::int64_t Count(const std::string& table) {
    return std::stoll(Query("SELECT count(*) FROM " + table));
  }
  int LatestVersion() { return pg::LatestPostgresSchemaVersion(); }
  int SchemaVersion() {
    return std::stoi(Query("SELECT coalesce(max(version), 0) FROM seedwell_schema"));
  }
  void SetSchemaVersion(int version) {
    Query("UPDATE seedwell_schema SET version = " + std::to_string(version));
  }
  void FailTransportUsage(bool fail) {
    Query(fail ? "CREATE FUNCTION fail_usage() RETURNS trigger LANGUAGE plpgsql AS "
                 "$f$ BEGIN RAISE EXCEPTION 'injected'; END $f$; "
                 "CREATE TRIGGER fail_usage BEFORE INSERT OR UPDATE ON instance_usage "
                 "FOR EACH ROW EXECUTE FUNCTION fail_usage()"
               : "DROP TRIGGER fail_usage ON instance_usage; DROP FUNCTION fail_usage()");
  }
  std::string Query(const std::string& sql) { return PostgresServer::Shared().Query(db_, sql); }
  const std::string& database() const { return db_; }

 private:
  std::string db_ = PostgresServer::Shared().CreateDatabase();
};

// MinimalInstance is a valid instance with id |id| in project "p", every other field fixed.
inline Instance MinimalInstance(const std::string& id) {
  Instance instance;
  instance.id = id;
  instance.project_id = "p";
  instance.name = instance.hostname = instance.availability_zone = "x";
  instance.created_at_ms = instance.updated_at_ms = 1;
  return instance;
}

// TokenHashOf is a token hash whose first byte is |n| and the rest zero: distinct per |n|.
inline TokenHash TokenHashOf(std::uint8_t n) {
  TokenHash hash{};
  hash[0] = n;
  return hash;
}

}  // namespace seedwell::testing

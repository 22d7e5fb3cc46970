#include "service/store/sqlite_migrations.h"

#include <spdlog/spdlog.h>

#include <array>
#include <stdexcept>
#include <string>

namespace seedwell {
namespace {

// kMigrations[i] takes the schema from version i to version i + 1.
//
// Version 1: instances with their token hash (UNIQUE: one token per instance, and a hash
// identifies at most one instance), and the append-only config-drive audit log. The audit log
// has no foreign key to instances on purpose: records must outlive a deleted instance.
//
// Version 2: usage per instance and transport. instances.bytes_issued stays the total, so
// everything reading it is unchanged; bytes issued before this migration are in the total only.
// Rows go with their instance (ON DELETE CASCADE; SqliteStore turns foreign_keys on). Transport
// names are checked in code against a fixed set (service/usage_transport.h), not here, so adding
// a transport needs no table rebuild; the length check bounds what a bug could store.
//
// Version 3: instances.token_epoch, the generation of the instance token that Nova's vendordata
// calls derive (Registry::RegisterFromVendordata). Existing rows start at 0.
//
// Version 4: instances.host, the compute node an instance runs on (NULL: not placed), and the
// index the node agents list their instances by (`seedwell serve --node`).
constexpr std::array<const char*, 4> kMigrations = {
    R"sql(
CREATE TABLE instances (
  id TEXT PRIMARY KEY NOT NULL,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  hostname TEXT NOT NULL,
  availability_zone TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  allowed_cidrs_json TEXT NOT NULL,
  rate_bytes_per_second INTEGER,
  rate_burst_bytes INTEGER,
  sealing_public_key TEXT,
  state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  last_seen_at_ms INTEGER,
  bytes_issued INTEGER NOT NULL DEFAULT 0 CHECK (bytes_issued >= 0),
  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32)
);
CREATE INDEX instances_by_project ON instances (project_id, id);
CREATE INDEX instances_by_state ON instances (state, id);
CREATE TABLE config_drive_builds (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  built_at_ms INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0)
);
CREATE INDEX config_drive_builds_by_instance ON config_drive_builds (instance_id, seq);
)sql",
    R"sql(
CREATE TABLE instance_usage (
  instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  transport TEXT NOT NULL CHECK (length(transport) BETWEEN 1 AND 32),
  bytes_issued INTEGER NOT NULL DEFAULT 0 CHECK (bytes_issued >= 0),
  PRIMARY KEY (instance_id, transport)
) WITHOUT ROWID;
)sql",
    R"sql(
ALTER TABLE instances ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0 CHECK (token_epoch >= 0);
)sql",
    R"sql(
ALTER TABLE instances ADD COLUMN host TEXT
  CHECK (host IS NULL OR length(host) BETWEEN 1 AND 253);
CREATE INDEX instances_by_host ON instances (host, id) WHERE host IS NOT NULL;
)sql",
};

void Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw std::runtime_error("database migration: " + text);
  }
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

int ReadSchemaVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    sqlite3_finalize(stmt);
    throw std::runtime_error(std::string("database: cannot read user_version: ") +
                             sqlite3_errmsg(db));
  }
  const int version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return version;
}

void ApplyMigrations(sqlite3* db) {
  Exec(db, "BEGIN EXCLUSIVE");
  try {
    const int current = ReadSchemaVersion(db);
    const int latest = LatestSchemaVersion();
    if (current > latest) {
      throw std::runtime_error("database schema version " + std::to_string(current) +
                               " is newer than this seedwell understands (" +
                               std::to_string(latest) + "); upgrade seedwell");
    }
    for (int version = current; version < latest; ++version) {
      Exec(db, kMigrations.at(static_cast<std::size_t>(version)));
    }
    Exec(db, "PRAGMA user_version = " + std::to_string(latest));
    Exec(db, "COMMIT");
    if (current != latest) spdlog::info("database schema migrated from {} to {}", current, latest);
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace seedwell

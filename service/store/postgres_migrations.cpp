#include "service/store/postgres_migrations.h"

#include <spdlog/spdlog.h>

#include <array>
#include <string>

namespace seedwell::pg {
namespace {

// kMigrations[i] takes the schema from version i to version i + 1. The same model as the SQLite
// store's (sqlite_migrations.cpp), in PostgreSQL types: ids sort bytewise (COLLATE "C", so list
// cursors match SQLite's order), token hashes are bytea, times and counters bigint. The audit log
// has no foreign key to instances on purpose: records must outlive a deleted instance.
//
// Version 2: instances.host, the compute node an instance runs on (NULL: not placed), and the
// index the node agents list their instances by (`seedwell serve --node`).
// Version 3: signing_keys, the replicas' shared key ring (postgres_key_ring.h).
// Version 4: replicas, cluster membership (service/membership.h).
constexpr std::array<const char*, 4> kMigrations = {
    R"sql(
CREATE TABLE instances (
  id text COLLATE "C" PRIMARY KEY,
  project_id text NOT NULL,
  name text NOT NULL,
  hostname text NOT NULL,
  availability_zone text NOT NULL,
  metadata_json text NOT NULL,
  allowed_cidrs_json text NOT NULL,
  rate_bytes_per_second bigint,
  rate_burst_bytes bigint,
  sealing_public_key text,
  state text NOT NULL CHECK (state IN ('active', 'revoked')),
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  last_seen_at_ms bigint,
  bytes_issued bigint NOT NULL DEFAULT 0 CHECK (bytes_issued >= 0),
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  token_epoch bigint NOT NULL DEFAULT 0 CHECK (token_epoch >= 0)
);
CREATE INDEX instances_by_project ON instances (project_id, id);
CREATE INDEX instances_by_state ON instances (state, id);
CREATE TABLE config_drive_builds (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance_id text NOT NULL,
  built_at_ms bigint NOT NULL,
  key_id text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0)
);
CREATE INDEX config_drive_builds_by_instance ON config_drive_builds (instance_id, seq);
CREATE TABLE instance_usage (
  instance_id text COLLATE "C" NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  transport text NOT NULL CHECK (length(transport) BETWEEN 1 AND 32),
  bytes_issued bigint NOT NULL DEFAULT 0 CHECK (bytes_issued >= 0),
  PRIMARY KEY (instance_id, transport)
);
)sql",
    R"sql(
ALTER TABLE instances ADD COLUMN host text
  CHECK (host IS NULL OR length(host) BETWEEN 1 AND 253);
CREATE INDEX instances_by_host ON instances (host, id) WHERE host IS NOT NULL;
)sql",
    // The signing key ring shared by replicas (postgres_key_ring.h): public keys in the clear,
    // each usable key's Ed25519 seed sealed under the key-encryption key (sealed_signing_key.h,
    // 72 bytes); a retired key keeps no secret. seq keeps the ring's order (oldest first); the
    // partial unique index allows at most one active key, whatever writers race.
    R"sql(
CREATE TABLE signing_keys (
  kid text COLLATE "C" PRIMARY KEY CHECK (kid ~ '^sw1_[0-9a-f]{32}$'),
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  state text NOT NULL CHECK (state IN ('active', 'verify_only', 'retired')),
  created_at_ms bigint NOT NULL CHECK (created_at_ms >= 0),
  sealed_key bytea CHECK (length(sealed_key) = 72),
  CHECK ((state = 'retired') = (sealed_key IS NULL))
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
)sql",
    // Cluster membership: one row per `seedwell serve` replica, heartbeated about once a second
    // with the server's clock (service/membership.h); a clean shutdown deletes its row, and rows
    // silent for an hour are forgotten by the live replicas' heartbeats.
    R"sql(
CREATE TABLE replicas (
  id text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  host text NOT NULL,
  version text NOT NULL,
  key_id text NOT NULL,
  started_at_ms bigint NOT NULL,
  last_heartbeat_ms bigint NOT NULL
);
)sql",
};

Result<void> Apply(PgConnection& conn) {
  SEEDWELL_TRY(conn.Exec("database migration",
                         "CREATE TABLE IF NOT EXISTS seedwell_schema (version integer NOT NULL)"));
  const auto read = ReadPostgresSchemaVersion(conn);
  SEEDWELL_RETURN_IF_ERROR(read);
  const int current = *read;
  const int latest = LatestPostgresSchemaVersion();
  if (current > latest) {
    return Fail(ErrorCode::kFailedPrecondition, "database schema version " +
                                                    std::to_string(current) +
                                                    " is newer than this seedwell understands (" +
                                                    std::to_string(latest) + "); upgrade seedwell");
  }
  for (int version = current; version < latest; ++version) {
    SEEDWELL_TRY(conn.Exec("database migration", "BEGIN"));
    Result<PgResult> applied = PgResult(nullptr);
    if (auto script = conn.ExecScript("database migration " + std::to_string(version + 1),
                                      kMigrations.at(static_cast<std::size_t>(version)));
        !script) {
      applied = tl::unexpected(script.error());
    } else {
      applied = conn.Exec("database migration",
                          "WITH d AS (DELETE FROM seedwell_schema) "
                          "INSERT INTO seedwell_schema (version) VALUES ($1::integer)",
                          {PgParam::Int(version + 1)});
    }
    if (applied) applied = conn.Exec("database migration", "COMMIT");
    if (!applied) {
      (void)conn.Exec("database migration", "ROLLBACK");
      return tl::unexpected(applied.error());
    }
  }
  if (current != latest) spdlog::info("database schema migrated from {} to {}", current, latest);
  return {};
}

}  // namespace

int LatestPostgresSchemaVersion() { return static_cast<int>(kMigrations.size()); }

Result<int> ReadPostgresSchemaVersion(PgConnection& conn) {
  auto exists = conn.Exec("database schema", "SELECT to_regclass('seedwell_schema') IS NOT NULL");
  SEEDWELL_RETURN_IF_ERROR(exists);
  if (exists->Text(0, 0) != "t") return 0;
  auto rows = conn.Exec("database schema", "SELECT coalesce(max(version), 0) FROM seedwell_schema");
  SEEDWELL_RETURN_IF_ERROR(rows);
  return static_cast<int>(rows->Int(0, 0));
}

Result<void> ApplyPostgresMigrations(PgConnection& conn) {
  const std::string key = std::to_string(kMigrationLockKey);
  SEEDWELL_TRY(conn.Exec("database migration lock", "SELECT pg_advisory_lock($1::bigint)",
                         {PgParam::Text(key)}));
  Result<void> result = Apply(conn);
  (void)conn.Exec("database migration unlock", "SELECT pg_advisory_unlock($1::bigint)",
                  {PgParam::Text(key)});
  return result;
}

}  // namespace seedwell::pg

-- The SQLite schema at version 1 (service/sqlite_migrations.cpp, migration 1), frozen here so
-- tests/service/sqlite_migrations_test.cpp can build a database as an older seedwell left it.
-- Never edit: it must stay what version 1 was.
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

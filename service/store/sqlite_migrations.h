// SQLite schema migrations, applied in order at open. The schema version is PRAGMA user_version:
// version N means the first N migrations have been applied. Append new migrations; never edit
// an old one.
#pragma once

#include <sqlite3.h>

namespace seedwell {

// LatestSchemaVersion returns the version this build's code expects (the number of migrations).
int LatestSchemaVersion();

// ReadSchemaVersion returns PRAGMA user_version of |db|; throws std::runtime_error on failure.
int ReadSchemaVersion(sqlite3* db);

// ApplyMigrations brings |db| to LatestSchemaVersion() in one exclusive transaction. It throws
// std::runtime_error (a start-up error) if the database is newer than this code or a migration
// fails; on failure nothing is changed.
void ApplyMigrations(sqlite3* db);

}  // namespace seedwell

// Schema migrations of the PostgreSQL store. The schema version lives in the one-row table
// seedwell_schema. Migrations run under a session advisory lock, so however many replicas start
// at the same moment exactly one applies each migration and the others wait, then find nothing
// to do. Each migration runs in its own transaction with the version bump.
#pragma once

#include "crypto/result.h"
#include "service/store/postgres_connection.h"

namespace seedwell::pg {

// kMigrationLockKey is the pg_advisory_lock key that serialises migrations across replicas.
inline constexpr long long kMigrationLockKey = 0x5eed'0e11'0001LL;

// LatestPostgresSchemaVersion returns the schema version this code writes.
int LatestPostgresSchemaVersion();

// ReadPostgresSchemaVersion returns the stored version (0 for an empty database).
Result<int> ReadPostgresSchemaVersion(PgConnection& conn);

// ApplyPostgresMigrations brings the database to the latest version. kFailedPrecondition (and
// nothing changed) if it has a newer schema than this code understands; kUnavailable if the server
// went away; kInternal if a migration failed (rolled back).
Result<void> ApplyPostgresMigrations(PgConnection& conn);

}  // namespace seedwell::pg

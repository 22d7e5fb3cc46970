// PostgreSQL rows for PostgresStore: an Instance as query parameters, and back from a result row.
// Only the PostgreSQL store includes this.
#pragma once

#include <vector>

#include "crypto/result.h"
#include "service/instance.h"
#include "service/store/postgres_connection.h"

namespace seedwell::pg {

// The instance columns, in the order InstanceParams and ReadInstance use: id, project_id, name,
// hostname, availability_zone, metadata_json, allowed_cidrs_json, rate_bytes_per_second,
// rate_burst_bytes, sealing_public_key, state, created_at_ms, updated_at_ms, last_seen_at_ms,
// bytes_issued.

// InstanceParams returns one parameter per instance column, in order (counters clamped to
// INT64_MAX).
std::vector<PgParam> InstanceParams(const Instance& instance);

// ReadInstance reads |row| of |result| (kInstanceColumns in order). kInternal if the row is
// corrupt (JSON columns or the state do not parse).
Result<Instance> ReadInstance(const PgResult& result, int row);

}  // namespace seedwell::pg

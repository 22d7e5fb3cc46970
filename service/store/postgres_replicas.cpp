// PostgresStore's replica table (cluster membership, Store::Heartbeat and friends): one row per
// `seedwell serve` process, stamped with the database server's clock so that replicas whose own
// clocks disagree still agree on who is live.
#include <string>
#include <vector>

#include "service/store/postgres_pool.h"
#include "service/store/postgres_store.h"

namespace seedwell {
namespace {

using pg::PgParam;
using pg::PgResult;

#define SW_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

// Heartbeat: upsert this replica's row with the server's time, and forget the other replicas
// silent for longer than $6 ms, in one statement.
constexpr const char* kHeartbeat =
    "WITH now AS (SELECT " SW_NOW_MS
    " AS ms), "
    "gone AS (DELETE FROM replicas WHERE id <> $1 AND last_heartbeat_ms < "
    "(SELECT ms FROM now) - $6::bigint) "
    "INSERT INTO replicas (id, host, version, key_id, started_at_ms, last_heartbeat_ms) "
    "SELECT $1, $2, $3, $4, $5::bigint, ms FROM now ON CONFLICT (id) DO UPDATE SET "
    "host = excluded.host, version = excluded.version, key_id = excluded.key_id, "
    "started_at_ms = excluded.started_at_ms, last_heartbeat_ms = excluded.last_heartbeat_ms";
constexpr const char* kList =
    "SELECT id, host, version, key_id, started_at_ms, last_heartbeat_ms, "
    "last_heartbeat_ms >= " SW_NOW_MS " - $1::bigint FROM replicas ORDER BY id";
constexpr const char* kRemove = "DELETE FROM replicas WHERE id = $1";
#undef SW_NOW_MS

// Run executes |sql| on a pooled connection, once more on a fresh one if the connection was lost
// under it (every statement here is idempotent).
Result<PgResult> Run(pg::PgPool& pool, std::string_view what, const char* sql,
                     const std::vector<PgParam>& params) {
  for (int attempt = 0;; ++attempt) {
    auto conn = pool.Acquire();
    SEEDWELL_RETURN_IF_ERROR(conn);
    auto result = (*conn)->Exec(what, sql, params);
    const bool lost = !result && PQstatus((*conn)->raw()) != CONNECTION_OK;
    if (!lost || attempt > 0) return result;
  }
}

}  // namespace

Result<void> PostgresStore::Heartbeat(const ReplicaRecord& replica,
                                      std::chrono::milliseconds forget_after) {
  auto r = Run(*pool_, "database heartbeat", kHeartbeat,
               {PgParam::Text(replica.id), PgParam::Text(replica.host),
                PgParam::Text(replica.version), PgParam::Text(replica.key_id),
                PgParam::Int(replica.started_at_ms), PgParam::Int(forget_after.count())});
  SEEDWELL_RETURN_IF_ERROR(r);
  return {};
}

Result<std::vector<ReplicaRecord>> PostgresStore::ListReplicas(
    std::chrono::milliseconds live_within) {
  auto r = Run(*pool_, "database replicas", kList, {PgParam::Int(live_within.count())});
  SEEDWELL_RETURN_IF_ERROR(r);
  std::vector<ReplicaRecord> replicas;
  replicas.reserve(static_cast<std::size_t>(r->Rows()));
  for (int row = 0; row < r->Rows(); ++row) {
    replicas.push_back(ReplicaRecord{.id = r->Text(row, 0),
                                     .host = r->Text(row, 1),
                                     .version = r->Text(row, 2),
                                     .key_id = r->Text(row, 3),
                                     .started_at_ms = r->Int(row, 4),
                                     .last_heartbeat_ms = r->Int(row, 5),
                                     .live = r->Text(row, 6) == "t"});
  }
  return replicas;
}

Result<void> PostgresStore::RemoveReplica(std::string_view id) {
  auto r = Run(*pool_, "database remove replica", kRemove, {PgParam::Text(id)});
  SEEDWELL_RETURN_IF_ERROR(r);
  return {};
}

}  // namespace seedwell

#include "service/store/postgres_store.h"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "service/store/list_cursor.h"
#include "service/store/postgres_migrations.h"
#include "service/store/postgres_pool.h"
#include "service/store/postgres_row.h"
#include "service/usage_transport.h"

namespace seedwell {
namespace {

using pg::PgParam;
using pg::PgResult;

#define SW_COLUMNS                                                                         \
  "id, project_id, name, hostname, availability_zone, metadata_json, allowed_cidrs_json, " \
  "rate_bytes_per_second, rate_burst_bytes, sealing_public_key, state, created_at_ms, "    \
  "updated_at_ms, last_seen_at_ms, bytes_issued, host"
#define SW_NOTIFY "SELECT pg_notify('seedwell_instances', "
#define SW_SATURATING_ADD(column, param)                                                         \
  "CASE WHEN " column " > 9223372036854775807 - " param " THEN 9223372036854775807 ELSE " column \
  " + " param " END"

// Writes: one statement each, the change notice sent from the same transaction.
constexpr const char* kInsert =
    "WITH c AS (INSERT INTO instances (" SW_COLUMNS
    ", token_hash) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id) " SW_NOTIFY
    "$18::text) FROM c";
constexpr const char* kUpdate =
    "WITH old AS (SELECT id, state FROM instances WHERE id = $1 FOR UPDATE), "
    "u AS (UPDATE instances i SET name = $2, hostname = $3, availability_zone = $4, "
    "metadata_json = $5, allowed_cidrs_json = $6, rate_bytes_per_second = $7, "
    "rate_burst_bytes = $8, sealing_public_key = $9, state = $10, updated_at_ms = $11, "
    "host = $12 FROM old WHERE i.id = old.id RETURNING old.state AS was, i.state AS now) " SW_NOTIFY
    "$13::text || CASE WHEN u.was = 'active' AND u.now = 'revoked' THEN ' revoked ' "
    "ELSE ' updated ' END || $1::text) FROM u";
constexpr const char* kDelete =
    "WITH d AS (DELETE FROM instances WHERE id = $1 RETURNING id) " SW_NOTIFY "$2::text) FROM d";
constexpr const char* kSetToken =
    "WITH t AS (UPDATE instances SET token_hash = $2 WHERE id = $1 RETURNING id) " SW_NOTIFY
    "$3::text) FROM t";
constexpr const char* kSetDerivedToken =
    "WITH t AS (UPDATE instances SET token_hash = $2, token_epoch = $4 WHERE id = $1 RETURNING "
    "id) " SW_NOTIFY "$3::text) FROM t";
constexpr const char* kSelectTokenEpoch = "SELECT token_epoch FROM instances WHERE id = $1";
// RecordUsage: the total and the per-transport counter in one statement (atomic), added to what
// is stored so replicas never overwrite each other's counts. Returns one row if the instance
// exists.
constexpr const char* kUsage =
    "WITH t AS (UPDATE instances SET last_seen_at_ms = $3, bytes_issued = " SW_SATURATING_ADD(
        "bytes_issued", "$2::bigint") " WHERE id = $1 RETURNING id), "
    "u AS (INSERT INTO instance_usage (instance_id, transport, bytes_issued) "
    "SELECT id, $4, $2 FROM t WHERE $2::bigint > 0 ON CONFLICT (instance_id, transport) DO "
    "UPDATE SET bytes_issued = " SW_SATURATING_ADD("instance_usage.bytes_issued",
                                                   "excluded.bytes_issued") ") "
    "SELECT 1 FROM t";
constexpr const char* kInsertBuild =
    "INSERT INTO config_drive_builds (instance_id, built_at_ms, key_id, size_bytes) "
    "SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM instances WHERE id = $1)";

// Reads.
constexpr const char* kSelectById = "SELECT " SW_COLUMNS " FROM instances WHERE id = $1";
constexpr const char* kSelectByToken = "SELECT " SW_COLUMNS " FROM instances WHERE token_hash = $1";
constexpr const char* kSelectPage =
    "SELECT " SW_COLUMNS
    " FROM instances WHERE id > $1 AND ($2::text IS NULL OR "
    "project_id = $2) AND ($3::text IS NULL OR state = $3) AND ($5::text IS NULL OR host = $5) "
    "ORDER BY id LIMIT $4";
constexpr const char* kSelectUsage =
    "SELECT i.bytes_issued, i.last_seen_at_ms, u.transport, u.bytes_issued FROM instances i "
    "LEFT JOIN instance_usage u ON u.instance_id = i.id AND u.bytes_issued > 0 WHERE i.id = $1";
constexpr const char* kCount = "SELECT state, count(*) FROM instances GROUP BY state";
constexpr const char* kSelectBuilds =
    "SELECT instance_id, built_at_ms, key_id, size_bytes FROM (SELECT * FROM config_drive_builds "
    "WHERE instance_id = $1 ORDER BY seq DESC LIMIT $2) AS newest ORDER BY seq";
#undef SW_COLUMNS
#undef SW_NOTIFY
#undef SW_SATURATING_ADD

PgParam Clamped(std::uint64_t v) {
  return PgParam::Int(static_cast<std::int64_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max())));
}

PgParam Hash(const TokenHash& hash) { return PgParam::Bytes(hash.data(), hash.size()); }

std::string RandomOrigin() {
  std::array<unsigned char, 8> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 17> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return hex.data();
}

// Retry says whether a statement may run again on a fresh connection when its connection was lost
// under it: reads and idempotent writes may; a write that might have committed before the loss
// and would count twice or answer wrongly (insert, delete, usage addition) may not.
enum class Retry { kSafe, kNever };

// Run executes |sql| on a pooled connection. A connection lost under the statement (a restart
// the pool's health check could not see yet) is retried once on a fresh one if |retry| allows.
Result<PgResult> Run(pg::PgPool& pool, std::string_view what, const char* sql,
                     const std::vector<PgParam>& params, Retry retry) {
  for (int attempt = 0;; ++attempt) {
    auto conn = pool.Acquire();
    SEEDWELL_RETURN_IF_ERROR(conn);
    auto result = (*conn)->Exec(what, sql, params);
    const bool lost = !result && PQstatus((*conn)->raw()) != CONNECTION_OK;
    if (!lost || retry == Retry::kNever || attempt > 0) return result;
  }
}

Error NoInstance(std::string_view id) {
  return Error{ErrorCode::kNotFound, "no instance " + std::string(id)};
}

}  // namespace

Result<void> CheckPostgresUrl(std::string_view url) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return Fail(ErrorCode::kInvalidArgument,
                "--database: a PostgreSQL URL starts with postgresql:// (or give a file path for "
                "SQLite)");
  }
  char* error = nullptr;
  const std::string text(url);
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "malformed URL";
    PQfreemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return Fail(ErrorCode::kInvalidArgument, "--database: " + message);
  }
  bool has_password = false;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(options);
  if (has_password) {
    return Fail(ErrorCode::kInvalidArgument,
                "--database: the URL must not contain a password; put it in a file named by "
                "--database-password-file");
  }
  return {};
}

PostgresStore::PostgresStore(PostgresOptions options, std::unique_ptr<pg::PgPool> pool)
    : options_(std::move(options)), pool_(std::move(pool)), origin_(RandomOrigin()) {}

PostgresStore::~PostgresStore() = default;

std::unique_ptr<PostgresStore> PostgresStore::Open(const PostgresOptions& options) {
  if (auto checked = CheckPostgresUrl(options.url); !checked) {
    throw std::runtime_error(checked.error().message);
  }
  auto pool = std::make_unique<pg::PgPool>(
      pg::ConnectOptions{options.url, options.password, options.connect_timeout_s,
                         options.statement_timeout_ms},
      options.pool_size);
  auto lease = pool->Acquire();
  if (!lease) throw std::runtime_error(lease.error().message);
  if (auto migrated = pg::ApplyPostgresMigrations(**lease); !migrated) {
    throw std::runtime_error(migrated.error().message);
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(options, std::move(pool)));
}

Result<void> PostgresStore::Create(const Instance& instance, const TokenHash& token_hash) {
  std::vector<PgParam> params = pg::InstanceParams(instance);
  params.push_back(Hash(token_hash));
  params.push_back(PgParam::Text(origin_ + " created " + instance.id));
  auto r = Run(*pool_, "database insert", kInsert, params, Retry::kNever);
  if (!r && r.error().code == ErrorCode::kAlreadyExists) {
    return Fail(ErrorCode::kAlreadyExists, "instance " + instance.id + " already exists");
  }
  SEEDWELL_RETURN_IF_ERROR(r);
  return {};
}

Result<Instance> PostgresStore::Get(std::string_view id) {
  auto r = Run(*pool_, "database get", kSelectById, {PgParam::Text(id)}, Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  return pg::ReadInstance(*r, 0);
}

Result<InstancePage> PostgresStore::List(const ListQuery& query) {
  auto after = DecodeListCursor(query.cursor);
  SEEDWELL_RETURN_IF_ERROR(after);
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, kMaxListLimit);
  auto r = Run(
      *pool_, "database list", kSelectPage,
      {PgParam::Text(*after), query.project_id ? PgParam::Text(*query.project_id) : PgParam::Null(),
       query.state ? PgParam::Text(InstanceStateName(*query.state)) : PgParam::Null(),
       PgParam::Int(static_cast<std::int64_t>(limit) + 1),
       query.host ? PgParam::Text(*query.host) : PgParam::Null()},
      Retry::kSafe);  // one more: is there a next page?
  SEEDWELL_RETURN_IF_ERROR(r);
  InstancePage page;
  for (int row = 0; row < r->Rows(); ++row) {
    if (page.instances.size() == limit) {
      page.next_cursor = EncodeListCursor(page.instances.back().id);
      break;
    }
    auto instance = pg::ReadInstance(*r, row);
    SEEDWELL_RETURN_IF_ERROR(instance);
    page.instances.push_back(std::move(*instance));
  }
  return page;
}

Result<void> PostgresStore::Update(const Instance& instance) {
  // The mutable columns of InstanceParams ($1 id, then name .. state, updated_at, host) and the
  // origin.
  std::vector<PgParam> all = pg::InstanceParams(instance);
  std::vector<PgParam> params;
  for (const std::size_t column : {0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15}) {
    params.push_back(std::move(all[column]));
  }
  params.push_back(PgParam::Text(origin_));
  auto r = Run(*pool_, "database update", kUpdate, params, Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(instance.id));
  return {};
}

Result<void> PostgresStore::Delete(std::string_view id) {
  auto r = Run(*pool_, "database delete", kDelete,
               {PgParam::Text(id), PgParam::Text(origin_ + " deleted " + std::string(id))},
               Retry::kNever);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  return {};
}

Result<void> PostgresStore::SetTokenHash(std::string_view id, const TokenHash& token_hash) {
  auto r = Run(
      *pool_, "database set token", kSetToken,
      {PgParam::Text(id), Hash(token_hash), PgParam::Text(origin_ + " token " + std::string(id))},
      Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  return {};
}

Result<void> PostgresStore::SetDerivedTokenHash(std::string_view id, const TokenHash& token_hash,
                                                std::uint64_t token_epoch) {
  auto r = Run(*pool_, "database set token", kSetDerivedToken,
               {PgParam::Text(id), Hash(token_hash),
                PgParam::Text(origin_ + " token " + std::string(id)), Clamped(token_epoch)},
               Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  return {};
}

Result<std::uint64_t> PostgresStore::TokenEpoch(std::string_view id) {
  auto r =
      Run(*pool_, "database token epoch", kSelectTokenEpoch, {PgParam::Text(id)}, Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, r->Int(0, 0)));
}

Result<Instance> PostgresStore::FindByTokenHash(const TokenHash& token_hash) {
  auto r = Run(*pool_, "database find token", kSelectByToken, {Hash(token_hash)}, Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return Fail(ErrorCode::kNotFound, "no instance has this token");
  return pg::ReadInstance(*r, 0);
}

Result<void> PostgresStore::RecordUsage(std::string_view id, UsageTransport transport,
                                        std::uint64_t bytes, std::int64_t now_ms) {
  auto r = Run(*pool_, "database usage", kUsage,
               {PgParam::Text(id), Clamped(bytes), PgParam::Int(now_ms),
                PgParam::Text(UsageTransportName(transport))},
               Retry::kNever);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  return {};
}

Result<Usage> PostgresStore::GetUsage(std::string_view id) {
  auto r = Run(*pool_, "database usage", kSelectUsage, {PgParam::Text(id)}, Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Rows() == 0) return tl::unexpected(NoInstance(id));
  Usage usage;
  usage.bytes_issued = static_cast<std::uint64_t>(r->Int(0, 0));
  if (!r->IsNull(0, 1)) usage.last_seen_at_ms = r->Int(0, 1);
  for (int row = 0; row < r->Rows(); ++row) {
    if (r->IsNull(row, 2)) continue;
    usage.bytes_by_transport.emplace(r->Text(row, 2), static_cast<std::uint64_t>(r->Int(row, 3)));
  }
  return usage;
}

Result<StateCounts> PostgresStore::CountByState() {
  auto r = Run(*pool_, "database count", kCount, {}, Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  StateCounts counts;
  for (int row = 0; row < r->Rows(); ++row) {
    const auto count = static_cast<std::uint64_t>(r->Int(row, 1));
    (r->Text(row, 0) == "revoked" ? counts.revoked : counts.active) = count;
  }
  return counts;
}

Result<void> PostgresStore::RecordConfigDriveBuild(const ConfigDriveBuild& build) {
  auto r = Run(*pool_, "database audit insert", kInsertBuild,
               {PgParam::Text(build.instance_id), PgParam::Int(build.built_at_ms),
                PgParam::Text(build.key_id), Clamped(build.size_bytes)},
               Retry::kNever);
  SEEDWELL_RETURN_IF_ERROR(r);
  if (r->Affected() == 0) return tl::unexpected(NoInstance(build.instance_id));
  return {};
}

Result<std::vector<ConfigDriveBuild>> PostgresStore::ListConfigDriveBuilds(std::string_view id) {
  auto r =
      Run(*pool_, "database audit list", kSelectBuilds,
          {PgParam::Text(id), PgParam::Int(static_cast<std::int64_t>(kMaxConfigDriveBuildsListed))},
          Retry::kSafe);
  SEEDWELL_RETURN_IF_ERROR(r);
  std::vector<ConfigDriveBuild> builds;
  builds.reserve(static_cast<std::size_t>(r->Rows()));
  for (int row = 0; row < r->Rows(); ++row) {
    builds.push_back({r->Text(row, 0), r->Int(row, 1), r->Text(row, 2),
                      static_cast<std::uint64_t>(r->Int(row, 3))});
  }
  return builds;
}

Result<void> PostgresStore::Ping() {
  if (auto r = Run(*pool_, "database ping", "SELECT 1", {}, Retry::kSafe); !r) {
    return Fail(ErrorCode::kUnavailable, r.error().message);
  }
  return {};
}

}  // namespace seedwell

#include "service/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "service/store/sqlite_migrations.h"
#include "service/store/sqlite_row.h"
#include "service/usage_transport.h"

namespace seedwell {
namespace {

using sqlite::Binder;
using sqlite::BindInstance;
using sqlite::BindMutable;
using sqlite::Clamp;
using sqlite::DecodeCursor;
using sqlite::EncodeCursor;
using sqlite::ReadInstance;
using sqlite::SqlError;

// The SQL text of each statement; the address of each literal keys the statement cache.
#define SW_SELECT_INSTANCES                                                                  \
  "SELECT id, project_id, name, hostname, availability_zone, "                               \
  "metadata_json, allowed_cidrs_json, rate_bytes_per_second, rate_burst_bytes, "             \
  "sealing_public_key, state, created_at_ms, updated_at_ms, last_seen_at_ms, bytes_issued, " \
  "host FROM instances "
constexpr const char* kInsert =
    "INSERT INTO instances (id, project_id, name, hostname, availability_zone, metadata_json, "
    "allowed_cidrs_json, rate_bytes_per_second, rate_burst_bytes, sealing_public_key, state, "
    "created_at_ms, updated_at_ms, last_seen_at_ms, bytes_issued, token_hash, host) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
constexpr const char* kUpdate =
    "UPDATE instances SET name = ?3, hostname = ?4, availability_zone = ?5, metadata_json = ?6, "
    "allowed_cidrs_json = ?7, rate_bytes_per_second = ?8, rate_burst_bytes = ?9, "
    "sealing_public_key = ?10, state = ?11, updated_at_ms = ?13, host = ?17 WHERE id = ?1";
constexpr const char* kSelectById = SW_SELECT_INSTANCES "WHERE id = ?1";
constexpr const char* kSelectByToken = SW_SELECT_INSTANCES "WHERE token_hash = ?1";
constexpr const char* kSelectPage = SW_SELECT_INSTANCES
    "WHERE id > ?1 AND (?2 IS NULL OR project_id = ?2) AND (?3 IS NULL OR state = ?3) "
    "AND (?5 IS NULL OR host = ?5) ORDER BY id LIMIT ?4";
#undef SW_SELECT_INSTANCES
constexpr const char* kDelete = "DELETE FROM instances WHERE id = ?1";
constexpr const char* kSetToken = "UPDATE instances SET token_hash = ?2 WHERE id = ?1";
constexpr const char* kSetDerivedToken =
    "UPDATE instances SET token_hash = ?2, token_epoch = ?3 WHERE id = ?1";
constexpr std::uint64_t kMaxEpoch = 9223372036854775807ULL;  // SQLite's largest integer
constexpr const char* kSelectTokenEpoch = "SELECT token_epoch FROM instances WHERE id = ?1";
constexpr const char* kUsage =
    "UPDATE instances SET last_seen_at_ms = ?3, bytes_issued = CASE WHEN bytes_issued > "
    "9223372036854775807 - ?2 THEN 9223372036854775807 ELSE bytes_issued + ?2 END WHERE id = ?1";
constexpr const char* kTransportUsage =
    "INSERT INTO instance_usage (instance_id, transport, bytes_issued) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (instance_id, transport) DO UPDATE SET bytes_issued = CASE WHEN bytes_issued > "
    "9223372036854775807 - excluded.bytes_issued THEN 9223372036854775807 "
    "ELSE bytes_issued + excluded.bytes_issued END";
constexpr const char* kSelectUsage =
    "SELECT bytes_issued, last_seen_at_ms FROM instances WHERE id = ?1";
constexpr const char* kSelectTransportUsage =
    "SELECT transport, bytes_issued FROM instance_usage WHERE instance_id = ?1 AND "
    "bytes_issued > 0";
constexpr const char* kCount = "SELECT state, count(*) FROM instances GROUP BY state";
constexpr const char* kInsertBuild =
    "INSERT INTO config_drive_builds (instance_id, built_at_ms, key_id, size_bytes) "
    "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM instances WHERE id = ?1)";
constexpr const char* kSelectBuilds =
    "SELECT instance_id, built_at_ms, key_id, size_bytes FROM (SELECT * FROM config_drive_builds "
    "WHERE instance_id = ?1 ORDER BY seq DESC LIMIT ?2) ORDER BY seq";
constexpr const char* kPing = "SELECT 1";

}  // namespace

std::unique_ptr<SqliteStore> SqliteStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));  // owns |db| even on failure
  if (rc != SQLITE_OK) {
    throw std::runtime_error("database " + path + ": " + (db ? sqlite3_errmsg(db) : "no memory"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  for (const char* pragma :
       {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    char* message = nullptr;
    if (sqlite3_exec(db, pragma, nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message != nullptr ? message : sqlite3_errmsg(db);
      sqlite3_free(message);
      std::string error = "database " + path;
      error.append(": ").append(pragma).append(": ").append(text);
      throw std::runtime_error(error);
    }
  }
  ApplyMigrations(db);
  return store;
}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<sqlite3_stmt*> SqliteStore::Prepare(const char* sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(SqlError(db_, rc, "database prepare"));
  statements_.emplace(sql, stmt);
  return stmt;
}

Result<void> SqliteStore::Exec(const char* sql) {
  auto stmt = Prepare(sql);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  const int rc = b.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, sql));
  return {};
}

template <typename Body>
Result<void> SqliteStore::Write(Body&& body) {
  if (auto begun = Exec("BEGIN IMMEDIATE"); !begun) return begun;
  Result<void> result = std::forward<Body>(body)();
  if (result) result = Exec("COMMIT");
  if (!result) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return result;
}

Result<void> SqliteStore::Create(const Instance& instance, const TokenHash& token_hash) {
  const std::lock_guard lock(mutex_);
  return Write([&]() -> Result<void> {
    auto stmt = Prepare(kInsert);
    SEEDWELL_RETURN_IF_ERROR(stmt);
    Binder b(*stmt);
    BindInstance(b, instance);
    b.Blob(16, token_hash);
    const int rc = b.Step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Fail(ErrorCode::kAlreadyExists, "instance " + instance.id + " already exists");
    }
    if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db_, rc, "database insert"));
    return {};
  });
}

Result<Instance> SqliteStore::Get(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto stmt = Prepare(kSelectById);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  b.Text(1, id);
  const int rc = b.Step();
  if (rc == SQLITE_DONE) return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database get"));
  return ReadInstance(b);
}

Result<InstancePage> SqliteStore::List(const ListQuery& query) {
  auto after = DecodeCursor(query.cursor);
  SEEDWELL_RETURN_IF_ERROR(after);
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, kMaxListLimit);
  const std::lock_guard lock(mutex_);
  auto stmt = Prepare(kSelectPage);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  b.Text(1, *after);
  if (query.project_id) b.Text(2, *query.project_id);
  if (query.state) b.Text(3, InstanceStateName(*query.state));
  if (query.host) b.Text(5, *query.host);
  b.Int(4, static_cast<std::int64_t>(limit) + 1);  // one more, to learn if a next page exists
  InstancePage page;
  for (int rc = b.Step(); rc != SQLITE_DONE; rc = b.Step()) {
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database list"));
    if (page.instances.size() == limit) {
      page.next_cursor = EncodeCursor(page.instances.back().id);
      break;
    }
    auto instance = ReadInstance(b);
    SEEDWELL_RETURN_IF_ERROR(instance);
    page.instances.push_back(std::move(*instance));
  }
  return page;
}

Result<void> SqliteStore::Update(const Instance& instance) {
  const std::lock_guard lock(mutex_);
  return Write([&]() -> Result<void> {
    auto stmt = Prepare(kUpdate);
    SEEDWELL_RETURN_IF_ERROR(stmt);
    Binder b(*stmt);
    BindMutable(b, instance);
    if (const int rc = b.Step(); rc != SQLITE_DONE) {
      return tl::unexpected(SqlError(db_, rc, "database update"));
    }
    if (sqlite3_changes(db_) == 0) return Fail(ErrorCode::kNotFound, "no instance " + instance.id);
    return {};
  });
}

Result<void> SqliteStore::Delete(std::string_view id) {
  const std::lock_guard lock(mutex_);
  return Write([&]() -> Result<void> {
    auto stmt = Prepare(kDelete);
    SEEDWELL_RETURN_IF_ERROR(stmt);
    Binder b(*stmt);
    b.Text(1, id);
    if (const int rc = b.Step(); rc != SQLITE_DONE) {
      return tl::unexpected(SqlError(db_, rc, "database delete"));
    }
    if (sqlite3_changes(db_) == 0)
      return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
    return {};
  });
}

Result<void> SqliteStore::SetTokenHash(std::string_view id, const TokenHash& token_hash) {
  const std::lock_guard lock(mutex_);
  return Write([&]() -> Result<void> {
    auto stmt = Prepare(kSetToken);
    SEEDWELL_RETURN_IF_ERROR(stmt);
    Binder b(*stmt);
    b.Text(1, id);
    b.Blob(2, token_hash);
    if (const int rc = b.Step(); rc != SQLITE_DONE) {
      return tl::unexpected(SqlError(db_, rc, "database set token"));
    }
    if (sqlite3_changes(db_) == 0)
      return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
    return {};
  });
}

Result<void> SqliteStore::SetDerivedTokenHash(std::string_view id, const TokenHash& token_hash,
                                              std::uint64_t token_epoch) {
  const std::lock_guard lock(mutex_);
  return Write([&]() -> Result<void> {
    auto stmt = Prepare(kSetDerivedToken);
    SEEDWELL_RETURN_IF_ERROR(stmt);
    Binder b(*stmt);
    b.Text(1, id);
    b.Blob(2, token_hash);
    b.Int(3, static_cast<std::int64_t>(std::min<std::uint64_t>(token_epoch, kMaxEpoch)));
    if (const int rc = b.Step(); rc != SQLITE_DONE) {
      return tl::unexpected(SqlError(db_, rc, "database set token"));
    }
    if (sqlite3_changes(db_) == 0)
      return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
    return {};
  });
}

Result<std::uint64_t> SqliteStore::TokenEpoch(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto stmt = Prepare(kSelectTokenEpoch);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  b.Text(1, id);
  const int rc = b.Step();
  if (rc == SQLITE_DONE) return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database token epoch"));
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, b.ColumnInt(0)));
}

Result<Instance> SqliteStore::FindByTokenHash(const TokenHash& token_hash) {
  const std::lock_guard lock(mutex_);
  auto stmt = Prepare(kSelectByToken);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  b.Blob(1, token_hash);
  const int rc = b.Step();
  if (rc == SQLITE_DONE) return Fail(ErrorCode::kNotFound, "no instance has this token");
  if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database find token"));
  return ReadInstance(b);
}

Result<void> SqliteStore::RecordUsage(std::string_view id, UsageTransport transport,
                                      std::uint64_t bytes, std::int64_t now_ms) {
  const std::lock_guard lock(mutex_);
  // Counters are advisory: skip this commit's fsync (see the file comment in the header).
  if (auto relaxed = Exec("PRAGMA synchronous = NORMAL"); !relaxed) return relaxed;
  Result<void> result = Write([&]() -> Result<void> {
    auto total = Prepare(kUsage);
    SEEDWELL_RETURN_IF_ERROR(total);
    {
      Binder b(*total);
      b.Text(1, id);
      b.Int(2, Clamp(bytes));
      b.Int(3, now_ms);
      if (const int rc = b.Step(); rc != SQLITE_DONE) {
        return tl::unexpected(SqlError(db_, rc, "database usage"));
      }
      if (sqlite3_changes(db_) == 0)
        return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
    }
    if (bytes == 0) return {};  // only transports that issued bytes get a row
    auto per_transport = Prepare(kTransportUsage);
    SEEDWELL_RETURN_IF_ERROR(per_transport);
    Binder b(*per_transport);
    b.Text(1, id);
    b.Text(2, UsageTransportName(transport));
    b.Int(3, Clamp(bytes));
    if (const int rc = b.Step(); rc != SQLITE_DONE) {
      return tl::unexpected(SqlError(db_, rc, "database transport usage"));
    }
    return {};
  });
  if (auto full = Exec("PRAGMA synchronous = FULL"); !full) return full;
  return result;
}

Result<Usage> SqliteStore::GetUsage(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto total = Prepare(kSelectUsage);
  SEEDWELL_RETURN_IF_ERROR(total);
  auto per_transport = Prepare(kSelectTransportUsage);
  SEEDWELL_RETURN_IF_ERROR(per_transport);
  // One read transaction, so the total and the per-transport counters come from one snapshot.
  SEEDWELL_TRY(Exec("BEGIN"));
  Result<Usage> usage = ReadUsage(*total, *per_transport, id);
  if (auto ended = Exec("COMMIT"); !ended) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (usage) return tl::unexpected(ended.error());
  }
  return usage;
}

Result<Usage> SqliteStore::ReadUsage(sqlite3_stmt* total, sqlite3_stmt* per_transport,
                                     std::string_view id) {
  Usage usage;
  {
    Binder b(total);
    b.Text(1, id);
    const int rc = b.Step();
    if (rc == SQLITE_DONE) return Fail(ErrorCode::kNotFound, "no instance " + std::string(id));
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database usage"));
    usage.bytes_issued = static_cast<std::uint64_t>(b.ColumnInt(0));
    if (!b.IsNull(1)) usage.last_seen_at_ms = b.ColumnInt(1);
  }
  Binder b(per_transport);
  b.Text(1, id);
  for (int rc = b.Step(); rc != SQLITE_DONE; rc = b.Step()) {
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database transport usage"));
    usage.bytes_by_transport.emplace(b.ColumnText(0), static_cast<std::uint64_t>(b.ColumnInt(1)));
  }
  return usage;
}

Result<StateCounts> SqliteStore::CountByState() {
  const std::lock_guard lock(mutex_);
  auto stmt = Prepare(kCount);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  StateCounts counts;
  for (int rc = b.Step(); rc != SQLITE_DONE; rc = b.Step()) {
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database count"));
    const auto count = static_cast<std::uint64_t>(b.ColumnInt(1));
    (b.ColumnText(0) == "revoked" ? counts.revoked : counts.active) = count;
  }
  return counts;
}

Result<void> SqliteStore::RecordConfigDriveBuild(const ConfigDriveBuild& build) {
  const std::lock_guard lock(mutex_);
  return Write([&]() -> Result<void> {
    auto stmt = Prepare(kInsertBuild);
    SEEDWELL_RETURN_IF_ERROR(stmt);
    Binder b(*stmt);
    b.Text(1, build.instance_id);
    b.Int(2, build.built_at_ms);
    b.Text(3, build.key_id);
    b.Int(4, Clamp(build.size_bytes));
    if (const int rc = b.Step(); rc != SQLITE_DONE) {
      return tl::unexpected(SqlError(db_, rc, "database audit insert"));
    }
    if (sqlite3_changes(db_) == 0) {
      return Fail(ErrorCode::kNotFound, "no instance " + build.instance_id);
    }
    return {};
  });
}

Result<std::vector<ConfigDriveBuild>> SqliteStore::ListConfigDriveBuilds(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto stmt = Prepare(kSelectBuilds);
  SEEDWELL_RETURN_IF_ERROR(stmt);
  Binder b(*stmt);
  b.Text(1, id);
  b.Int(2, static_cast<std::int64_t>(kMaxConfigDriveBuildsListed));
  std::vector<ConfigDriveBuild> builds;
  for (int rc = b.Step(); rc != SQLITE_DONE; rc = b.Step()) {
    if (rc != SQLITE_ROW) return tl::unexpected(SqlError(db_, rc, "database audit list"));
    builds.push_back({b.ColumnText(0), b.ColumnInt(1), b.ColumnText(2),
                      static_cast<std::uint64_t>(b.ColumnInt(3))});
  }
  return builds;
}

Result<void> SqliteStore::Heartbeat(const ReplicaRecord& replica,
                                    std::chrono::milliseconds forget_after) {
  replicas_.Heartbeat(replica, forget_after);
  return {};
}

Result<std::vector<ReplicaRecord>> SqliteStore::ListReplicas(
    std::chrono::milliseconds live_within) {
  return replicas_.List(live_within);
}

Result<void> SqliteStore::RemoveReplica(std::string_view id) {
  replicas_.Remove(id);
  return {};
}

Result<void> SqliteStore::Ping() {
  const std::lock_guard lock(mutex_);
  auto result = Exec(kPing);
  if (!result) return Fail(ErrorCode::kUnavailable, result.error().message);
  return {};
}

}  // namespace seedwell

// SqliteStore: the default Store, one SQLite database file.
//
// Settings and why:
//   - journal_mode=WAL: readers never block the writer, and a crash leaves a consistent database.
//   - synchronous=FULL: a created instance or a rotated token has been shown to its owner once and
//     cannot be shown again, so it must survive power loss; FULL syncs the WAL at every commit.
//     RecordUsage alone commits with synchronous=NORMAL: counters are advisory, and losing the
//     last few of them on power loss is cheaper than an fsync per guest request.
//   - foreign_keys=ON: enforced for every future table that declares one.
//   - busy_timeout=5000 ms: other processes (a backup, the CLI) may hold the lock briefly; past
//     the timeout a call fails with kUnavailable.
// Thread safety: one connection, serialised by a mutex (SQLite has one writer at a time anyway;
// this process does not need concurrent readers at its scale). Statements are prepared once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "service/store/local_replicas.h"
#include "service/store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace seedwell {

// SqliteStore implements Store on a SQLite database; see the top of this file.
class SqliteStore final : public Store {
 public:
  // Open opens or creates the database at |path|, applies the settings above and any pending
  // schema migrations. It throws std::runtime_error (a start-up error) if the file cannot be
  // opened, is not a database, or has a schema newer than this code.
  static std::unique_ptr<SqliteStore> Open(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<void> Create(const Instance& instance, const TokenHash& token_hash) override;
  Result<Instance> Get(std::string_view id) override;
  Result<InstancePage> List(const ListQuery& query) override;
  Result<void> Update(const Instance& instance) override;
  Result<void> Delete(std::string_view id) override;
  Result<void> SetTokenHash(std::string_view id, const TokenHash& token_hash) override;
  Result<void> SetDerivedTokenHash(std::string_view id, const TokenHash& token_hash,
                                   std::uint64_t token_epoch) override;
  Result<std::uint64_t> TokenEpoch(std::string_view id) override;
  Result<Instance> FindByTokenHash(const TokenHash& token_hash) override;
  Result<void> RecordUsage(std::string_view id, UsageTransport transport, std::uint64_t bytes,
                           std::int64_t now_ms) override;
  Result<Usage> GetUsage(std::string_view id) override;
  Result<StateCounts> CountByState() override;
  Result<void> RecordConfigDriveBuild(const ConfigDriveBuild& build) override;
  Result<std::vector<ConfigDriveBuild>> ListConfigDriveBuilds(std::string_view id) override;
  // The replica table is kept in memory (service/store/local_replicas.h): with SQLite the
  // cluster is this process alone.
  Result<void> Heartbeat(const ReplicaRecord& replica,
                         std::chrono::milliseconds forget_after) override;
  Result<std::vector<ReplicaRecord>> ListReplicas(std::chrono::milliseconds live_within) override;
  Result<void> RemoveReplica(std::string_view id) override;
  Result<void> Ping() override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}

  // Prepare returns the cached statement for |sql| (a string literal), preparing it on first
  // use. Callers hold mutex_.
  Result<sqlite3_stmt*> Prepare(const char* sql);
  // Exec runs |sql| without results. Callers hold mutex_.
  Result<void> Exec(const char* sql);
  // Write runs |body| inside BEGIN IMMEDIATE ... COMMIT, rolling back on any failure. Callers
  // hold mutex_.
  template <typename Body>
  Result<void> Write(Body&& body);
  // ReadUsage runs the prepared |total| and |per_transport| usage queries for |id|; kNotFound if
  // there is no such instance. Callers hold mutex_ and an open transaction.
  Result<Usage> ReadUsage(sqlite3_stmt* total, sqlite3_stmt* per_transport, std::string_view id);

  std::mutex mutex_;
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
  LocalReplicas replicas_;
};

}  // namespace seedwell

// PostgresStore: the Store on a PostgreSQL database shared by every replica (libpq).
//
// Connections: a small pool (postgres_pool.h) with reconnection and back-off; while the server is
// away calls fail with kUnavailable and the pool reconnects on a later call. Every statement
// carries a server-side statement_timeout, so a blocked call ends with kUnavailable instead of
// hanging. Every write is one statement (data-modifying CTEs), so it is atomic without a
// client-side transaction and costs one round trip. Usage is added, never overwritten (bytes =
// bytes + $n): replicas flushing the same instance's counters at the same moment both count.
//
// Change notices: every write to an instance also sends, in the same transaction, a NOTIFY on
// kInstanceChannel naming the change, the instance and the store that made it (its origin), so
// other replicas learn of it when it commits (postgres_change_feed.h) and the writer ignores its
// own notices.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/secret_buffer.h"
#include "service/store/store.h"

namespace seedwell {
namespace pg {
class PgPool;
}

// kInstanceChannel is the LISTEN/NOTIFY channel of instance changes.
inline constexpr const char* kInstanceChannel = "seedwell_instances";

// PostgresOptions names the database and how to reach it.
struct PostgresOptions {
  std::string url;                               // postgresql://USER@HOST:PORT/DB?sslmode=...
  std::shared_ptr<const SecretBuffer> password;  // null: none (trust, peer, ~/.pgpass)
  std::size_t pool_size = 4;
  int connect_timeout_s = 5;
  int statement_timeout_ms = 5000;
};

// CheckPostgresUrl returns kInvalidArgument, with a message naming the fault, if |url| is not a
// postgresql:// (or postgres://) URL libpq can parse, or if it embeds a password (passwords go in
// a file, never on a command line).
Result<void> CheckPostgresUrl(std::string_view url);

// PostgresStore implements Store on PostgreSQL; see the top of this file.
class PostgresStore final : public Store {
 public:
  // Open connects, applies pending schema migrations (once, whichever replica gets there first)
  // and returns the store. It throws std::runtime_error (a start-up error) with one clear message
  // if the URL is malformed, the password is wrong, the server is unreachable or the schema is
  // newer than this code.
  static std::unique_ptr<PostgresStore> Open(const PostgresOptions& options);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

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
  // The replica table (postgres_replicas.cpp): stamped with the server's clock.
  Result<void> Heartbeat(const ReplicaRecord& replica,
                         std::chrono::milliseconds forget_after) override;
  Result<std::vector<ReplicaRecord>> ListReplicas(std::chrono::milliseconds live_within) override;
  Result<void> RemoveReplica(std::string_view id) override;
  Result<void> Ping() override;

  // origin is this store's random id in change notices (see the top of this file).
  const std::string& origin() const { return origin_; }

  // options returns what Open was given (the change feed opens its own connection with them).
  const PostgresOptions& options() const { return options_; }

 private:
  PostgresStore(PostgresOptions options, std::unique_ptr<pg::PgPool> pool);

  PostgresOptions options_;
  std::unique_ptr<pg::PgPool> pool_;
  std::string origin_;
};

}  // namespace seedwell

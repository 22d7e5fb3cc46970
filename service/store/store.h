// Store: the persistence interface for instances, their token hashes and config-drive audit
// records. SqliteStore is the default back end; a PostgreSQL one can implement the same interface
// without touching callers (nothing here is SQLite-specific).
//
// Contract for every implementation:
//   - Thread-safe: methods are called concurrently from many request threads.
//   - Every write is one transaction: it happens completely or not at all.
//   - Errors: kNotFound for a missing instance, kAlreadyExists for a duplicate id or token hash,
//     kInvalidArgument for a bad cursor, kUnavailable when the database cannot be reached or is
//     busy past its timeout, kInternal for anything else. Messages never carry token hashes.
//   - Inputs are already validated (see NormalizeInstance); the store does not re-validate.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "service/credentials.h"
#include "service/instance.h"
#include "service/usage_transport.h"

namespace seedwell {

inline constexpr std::size_t kDefaultListLimit = 100;
inline constexpr std::size_t kMaxListLimit = 1000;
inline constexpr std::size_t kMaxConfigDriveBuildsListed = 1000;

// ListQuery selects a page of instances in ascending id order.
struct ListQuery {
  std::optional<std::string> project_id;  // only this project's instances
  std::optional<InstanceState> state;     // only instances in this state
  std::optional<std::string> host;        // only instances placed on this compute node
  std::string cursor;                     // empty for the first page, else a next_cursor
  std::size_t limit = kDefaultListLimit;  // clamped to 1..kMaxListLimit
};

// InstancePage is one page of a listing; next_cursor is empty on the last page. Cursors are
// opaque to callers and stay valid across writes (the order is by id, which never changes).
struct InstancePage {
  std::vector<Instance> instances;
  std::string next_cursor;
};

// StateCounts is the number of instances in each state.
struct StateCounts {
  std::uint64_t active = 0;
  std::uint64_t revoked = 0;
  bool operator==(const StateCounts&) const = default;
};

// Usage is an instance's running counters. |bytes_issued| is the total over every transport;
// |bytes_by_transport| holds, per transport of service/usage_transport.h that issued any, the
// bytes counted since per-transport counting began (schema version 2), so its sum can be less
// than the total on a database that was upgraded. Every counter saturates at INT64_MAX.
struct Usage {
  std::uint64_t bytes_issued = 0;
  std::optional<std::int64_t> last_seen_at_ms;
  std::map<std::string, std::uint64_t> bytes_by_transport;
  bool operator==(const Usage&) const = default;
};

// ConfigDriveBuild is an audit record of one config drive built for an instance. Records outlive
// the instance (an audit trail must survive deletion).
struct ConfigDriveBuild {
  std::string instance_id;
  std::int64_t built_at_ms = 0;
  std::string key_id;  // the signing key's id
  std::uint64_t size_bytes = 0;
  bool operator==(const ConfigDriveBuild&) const = default;
};

// ReplicaRecord is one `seedwell serve` process registered in the store (cluster membership,
// service/membership.h). Replicas sharing one PostgreSQL database see each other; an SQLite store
// only ever holds the process that opened it.
struct ReplicaRecord {
  std::string id;       // --replica-id, unique in the cluster
  std::string host;     // the machine (or pod) it runs on
  std::string version;  // seedwell's version
  std::string key_id;   // the id of its active signing key
  std::int64_t started_at_ms = 0;
  std::int64_t last_heartbeat_ms = 0;  // stamped by the store's clock on every Heartbeat
  bool live = false;                   // set by ListReplicas
  bool operator==(const ReplicaRecord&) const = default;
};

// Store is the abstract persistence interface described at the top of this file.
class Store {
 public:
  virtual ~Store() = default;

  // Create inserts |instance| with its first token hash in one transaction. Of concurrent creates
  // of one id exactly one succeeds; the others get kAlreadyExists.
  virtual Result<void> Create(const Instance& instance, const TokenHash& token_hash) = 0;

  // Get returns the instance with |id|, or kNotFound.
  virtual Result<Instance> Get(std::string_view id) = 0;

  // List returns one page of instances matching |query|; kInvalidArgument for a bad cursor.
  virtual Result<InstancePage> List(const ListQuery& query) = 0;

  // Update overwrites the mutable fields (everything but id, project_id, created_at and the usage
  // counters) of the stored instance with |instance.id|; kNotFound if there is none.
  virtual Result<void> Update(const Instance& instance) = 0;

  // Delete removes the instance and its token hash; kNotFound if there is none.
  virtual Result<void> Delete(std::string_view id) = 0;

  // SetTokenHash replaces the instance's token hash (the old token stops working at once);
  // kNotFound if there is no such instance.
  virtual Result<void> SetTokenHash(std::string_view id, const TokenHash& token_hash) = 0;

  // SetDerivedTokenHash replaces the instance's token hash like SetTokenHash and records
  // |token_epoch|, the generation the token was derived from; kNotFound if there is no such
  // instance.
  virtual Result<void> SetDerivedTokenHash(std::string_view id, const TokenHash& token_hash,
                                           std::uint64_t token_epoch) = 0;

  // TokenEpoch returns the generation last recorded by SetDerivedTokenHash (0 if never), or
  // kNotFound.
  virtual Result<std::uint64_t> TokenEpoch(std::string_view id) = 0;

  // FindByTokenHash returns the instance whose token hashes to |token_hash| (active or not), or
  // kNotFound.
  virtual Result<Instance> FindByTokenHash(const TokenHash& token_hash) = 0;

  // RecordUsage adds |bytes| to the instance's bytes_issued and to its counter for |transport|
  // (both saturating, in one transaction) and sets last_seen_at to |now_ms|. kNotFound if there is
  // no such instance. Called about once a second per busy instance, so it must be cheap; an
  // implementation may trade the durability of the latest counts for speed.
  virtual Result<void> RecordUsage(std::string_view id, UsageTransport transport,
                                   std::uint64_t bytes, std::int64_t now_ms) = 0;

  // GetUsage returns the instance's counters (see Usage), or kNotFound.
  virtual Result<Usage> GetUsage(std::string_view id) = 0;

  // CountByState returns how many instances are in each state.
  virtual Result<StateCounts> CountByState() = 0;

  // RecordConfigDriveBuild appends an audit record; kNotFound if the instance does not exist.
  virtual Result<void> RecordConfigDriveBuild(const ConfigDriveBuild& build) = 0;

  // ListConfigDriveBuilds returns the instance's audit records, oldest first, at most
  // kMaxConfigDriveBuildsListed (the newest ones). An unknown id yields an empty list.
  virtual Result<std::vector<ConfigDriveBuild>> ListConfigDriveBuilds(std::string_view id) = 0;

  // Heartbeat registers |replica| (every field but last_heartbeat_ms and live), or refreshes its
  // row if |replica.id| is registered, and stamps last_heartbeat_ms with the store's clock
  // (PostgreSQL: the server's, so replicas whose clocks disagree still judge liveness alike). It
  // also forgets the other replicas silent for longer than |forget_after|.
  virtual Result<void> Heartbeat(const ReplicaRecord& replica,
                                 std::chrono::milliseconds forget_after) = 0;

  // ListReplicas returns every registered replica in id order, each live when its last heartbeat
  // is at most |live_within| old by the store's clock.
  virtual Result<std::vector<ReplicaRecord>> ListReplicas(
      std::chrono::milliseconds live_within) = 0;

  // RemoveReplica deletes the replica |id| (a clean shutdown); success if there was none.
  virtual Result<void> RemoveReplica(std::string_view id) = 0;

  // Ping checks the database answers a trivial query; kUnavailable if not (for /readyz).
  virtual Result<void> Ping() = 0;
};

}  // namespace seedwell

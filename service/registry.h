// Registry: the domain API over a Store that the admin routes, the vendordata route and the guest
// transports call. It stamps times, mints tokens and caches active instances for the guest path.
//
// Cache: active instances found by Authenticate are kept by id and by token hash for at most
// |cache_ttl_ms|, and dropped on every write this Registry makes. Writes made by another replica
// sharing the Store (e.g. a revocation) arrive through Publish when the Store has a change feed
// (PostgreSQL: within milliseconds), and take effect here within the TTL at the latest. Usage
// counters are written through to cached entries. When an entry's TTL has run out, the first
// Authenticate refreshes it from the Store; while that refresh is in flight (at most the TTL
// again), AuthenticateCached keeps answering from the old entry instead of sending every caller
// of a busy token to the Store at once.
//
// Ids: methods taking an id accept any case of a UUID and canonicalise it; a string that is not a
// UUID names no instance (kNotFound). Errors follow instance.h (kInvalidArgument malformed,
// kFailedPrecondition semantically invalid) and store.h; the others are stated per method.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/result.h"
#include "service/credentials.h"
#include "service/instance.h"
#include "service/instance_events.h"
#include "service/store/store.h"

namespace seedwell {

// CreatedInstance is an instance together with its freshly minted token, which is shown once:
// the caller puts |token| into one response and keeps no copy.
struct CreatedInstance {
  Instance instance;
  std::string token;
  bool created = true;  // false when RegisterFromVendordata found the instance already there
};

// Registry is the instance API described at the top of this file. It is thread-safe.
class Registry {
 public:
  // NowMs returns the wall-clock time in Unix milliseconds; injected so tests control time.
  using NowMs = std::function<std::int64_t()>;

  static constexpr std::int64_t kDefaultCacheTtlMs = 5000;
  static constexpr std::size_t kMaxCachedInstances = 10000;

  // Registry serves from |store|, which it does not own and which must outlive it.
  Registry(Store& store, NowMs now_ms, std::int64_t cache_ttl_ms = kDefaultCacheTtlMs);

  // Create validates |instance|, makes it active with fresh timestamps and zero usage, and
  // stores it with a new token. kAlreadyExists if the id is taken.
  Result<CreatedInstance> Create(Instance instance);

  // Get returns the instance with |id| as stored now; kNotFound if none.
  Result<Instance> Get(std::string_view id);

  // GetShared is Get through the cache, for paths that look an instance up on every request (the
  // EGD loop): the instance as read within the cache TTL and not changed since by this registry
  // or by an event given to Publish, else read from the Store (which may block) and cached.
  // Revoked instances are returned too; the caller checks the state. kNotFound if none.
  Result<SharedInstance> GetShared(std::string_view id);

  // List returns a page of instances (see ListQuery).
  Result<InstancePage> List(const ListQuery& query);

  // Update applies |patch| to the instance with |id| and returns the result; kNotFound if none.
  Result<Instance> Update(std::string_view id, const InstancePatch& patch);

  // Revoke marks the instance revoked (idempotent); its token then fails with kPermissionDenied.
  Result<Instance> Revoke(std::string_view id);

  // Delete removes the instance and its token; audit records stay. kNotFound if none.
  Result<void> Delete(std::string_view id);

  // RotateToken mints a new token for an active instance; the old one stops working at once.
  // kNotFound if none, kFailedPrecondition if the instance is revoked.
  Result<std::string> RotateToken(std::string_view id);

  // Authenticate returns the instance whose token is |token| (text as sent by the guest):
  // kUnauthenticated for a malformed or unknown token, kPermissionDenied for a revoked instance.
  // The instance is the cache's own (shared, read-only): no copy per request.
  Result<SharedInstance> Authenticate(std::string_view token);
  // AuthenticateCached is Authenticate from memory only: std::nullopt where the answer needs the
  // Store (a token not cached, or cached past the TTL). It never blocks on I/O.
  std::optional<Result<SharedInstance>> AuthenticateCached(std::string_view token);

  // RecordUsage adds |bytes| to the instance's issued count, total and under |transport|, and
  // marks it seen now.
  Result<void> RecordUsage(std::string_view id, UsageTransport transport, std::uint64_t bytes);

  // Usage returns the instance's counters as stored; kNotFound if none.
  Result<seedwell::Usage> Usage(std::string_view id);

  // RegisterFromVendordata handles Nova's dynamic vendordata POST |body| (see VendordataFromJson).
  // A new id is created (project, hostname as name and hostname, metadata). The token it returns
  // is derived from |token_key|, the instance (id, creation time) and a per-instance generation
  // (Token::Derive), so Nova may call again whenever its metadata cache expires: an existing id of
  // the same project gets the stored instance unchanged and the same token (created = false),
  // and the guest's token keeps working. Tokens are still stored only as hashes. Only when the
  // instance holds a token this path did not derive (an admin created or rotated it) is it
  // replaced, once, by the next generation's: so an admin rotation after a leak also retires the
  // leaked derived token. kPermissionDenied if the existing instance belongs to another project
  // or is revoked.
  Result<CreatedInstance> RegisterFromVendordata(
      std::string_view body, std::span<const std::uint8_t, kTokenKeyBytes> token_key);

  // RecordConfigDriveBuild appends an audit record stamped now; kNotFound if no such instance.
  Result<void> RecordConfigDriveBuild(std::string_view id, std::string_view key_id,
                                      std::uint64_t size_bytes);

  // ListConfigDriveBuilds returns the audit records of |id|, oldest first (may outlive it).
  Result<std::vector<ConfigDriveBuild>> ListConfigDriveBuilds(std::string_view id);

  // CountByState and Ping pass through to the Store (for metrics and /readyz).
  Result<StateCounts> CountByState();
  Result<void> Ping();

  // Subscribe makes |listener| receive an InstanceEvent after every write this Registry makes and
  // every event given to Publish; returns an id for Unsubscribe. The listener must outlive its
  // subscription.
  std::uint64_t Subscribe(InstanceListener listener);

  // Unsubscribe stops deliveries to the listener |id| (unknown ids are ignored). A delivery already
  // running on another thread may still finish after it returns.
  void Unsubscribe(std::uint64_t id);

  // Publish drops |event|'s instance from the cache and delivers the event to every subscriber:
  // for changes this Registry did not make itself (another replica's, learnt from the Store).
  void Publish(const InstanceEvent& event);

  // InvalidateAll drops every cached instance: for when changes made elsewhere may have been
  // missed (the change feed reconnected), so the next lookups read the Store.
  void InvalidateAll();

  // Generation changes after every write this registry makes (create, update, revoke, delete,
  // token); indexes built from List() compare it to know they are stale.
  std::uint64_t Generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct CacheEntry {
    SharedInstance instance;              // replaced, never changed in place: requests may hold it
    std::optional<TokenHash> token_hash;  // unset when read by id (GetShared), not by token
    std::int64_t fetched_at_ms;
    bool refreshing = false;  // an Authenticate is reading it from the Store again
  };

  // Cached returns the cached active instance holding |hash| if fetched within the TTL at |now|,
  // or, with |stale_while_refreshing|, within twice the TTL while a refresh is in flight.
  // Takes cache_mutex_.
  SharedInstance Cached(const TokenHash& hash, std::int64_t now, bool stale_while_refreshing);
  // MarkRefreshing sets the refreshing flag of the entry holding |hash| (if any) to |on|.
  // Takes cache_mutex_.
  void MarkRefreshing(const TokenHash& hash, bool on);
  // Invalidate drops |id| from the cache and bumps the generation. Takes cache_mutex_.
  void Invalidate(const std::string& id);

  // CreateWith is Create, with the token derived from |token_key| (generation 0) when it is set.
  Result<CreatedInstance> CreateWith(
      Instance instance, std::optional<std::span<const std::uint8_t, kTokenKeyBytes>> token_key);
  // Deliver calls every subscriber with |event|, outside listeners_mutex_.
  void Deliver(const InstanceEvent& event);
  // MintToken stores a new token hash for |id| and returns the token text.
  Result<std::string> MintToken(const std::string& id);

  Store& store_;
  NowMs now_ms_;
  std::int64_t cache_ttl_ms_;
  std::atomic<std::uint64_t> generation_{0};
  std::mutex write_mutex_;  // serialises read-modify-write updates (no lost PATCH)
  std::mutex cache_mutex_;
  std::unordered_map<std::string, CacheEntry> by_id_;
  std::map<TokenHash, std::string> by_token_;
  std::mutex listeners_mutex_;
  std::uint64_t next_listener_id_ = 1;
  std::map<std::uint64_t, InstanceListener> listeners_;
};

}  // namespace seedwell

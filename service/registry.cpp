#include "service/registry.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <span>
#include <string>
#include <utility>

#include "service/instance_json.h"

namespace seedwell {
namespace {

// CanonicalId canonicalises an id given by a caller; a non-UUID names no instance.
Result<std::string> CanonicalId(std::string_view id) {
  auto canonical = CanonicalUuid(id);
  if (!canonical) return Fail(ErrorCode::kNotFound, "no instance with that id");
  return canonical;
}

}  // namespace

Registry::Registry(Store& store, NowMs now_ms, std::int64_t cache_ttl_ms)
    : store_(store), now_ms_(std::move(now_ms)), cache_ttl_ms_(cache_ttl_ms) {}

void Registry::Invalidate(const std::string& id) {
  generation_.fetch_add(1, std::memory_order_release);
  const std::lock_guard lock(cache_mutex_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  if (it->second.token_hash) by_token_.erase(*it->second.token_hash);
  by_id_.erase(it);
}

void Registry::InvalidateAll() {
  generation_.fetch_add(1, std::memory_order_release);
  const std::lock_guard lock(cache_mutex_);
  by_id_.clear();
  by_token_.clear();
}

std::uint64_t Registry::Subscribe(InstanceListener listener) {
  const std::lock_guard lock(listeners_mutex_);
  const std::uint64_t id = next_listener_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Registry::Unsubscribe(std::uint64_t id) {
  const std::lock_guard lock(listeners_mutex_);
  listeners_.erase(id);
}

void Registry::Publish(const InstanceEvent& event) {
  Invalidate(event.id);
  Deliver(event);
}

void Registry::Deliver(const InstanceEvent& event) {
  std::vector<InstanceListener> listeners;
  {
    const std::lock_guard lock(listeners_mutex_);
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) listener(event);
}

namespace {

// VendordataToken is the instance token of |instance|'s generation |epoch| on the vendordata
// path. The creation time is in the context so that a purged and re-registered id does not get
// its old token back.
Token VendordataToken(std::span<const std::uint8_t, kTokenKeyBytes> key, const Instance& instance,
                      std::uint64_t epoch) {
  const std::string context = "seedwell vendordata instance token v1\n" + instance.id + "\n" +
                              std::to_string(instance.created_at_ms) + "\n" + std::to_string(epoch);
  return Token::Derive(TokenKind::kInstance, key, context);
}

}  // namespace

Result<std::string> Registry::MintToken(const std::string& id) {
  const Token token = Token::Generate(TokenKind::kInstance);
  auto stored = store_.SetTokenHash(id, token.Hash());
  Invalidate(id);
  SEEDWELL_RETURN_IF_ERROR(stored);
  return token.Reveal();
}

Result<CreatedInstance> Registry::Create(Instance instance) {
  return CreateWith(std::move(instance), std::nullopt);
}

Result<CreatedInstance> Registry::CreateWith(
    Instance instance, std::optional<std::span<const std::uint8_t, kTokenKeyBytes>> token_key) {
  auto normalized = NormalizeInstance(std::move(instance));
  SEEDWELL_RETURN_IF_ERROR(normalized);
  normalized->state = InstanceState::kActive;
  normalized->created_at_ms = normalized->updated_at_ms = now_ms_();
  normalized->last_seen_at_ms.reset();
  normalized->bytes_issued = 0;
  const Token token = token_key ? VendordataToken(*token_key, *normalized, 0)
                                : Token::Generate(TokenKind::kInstance);
  auto stored = store_.Create(*normalized, token.Hash());
  SEEDWELL_RETURN_IF_ERROR(stored);
  generation_.fetch_add(1, std::memory_order_release);
  spdlog::info("instance {} created in project {}", normalized->id, normalized->project_id);
  Deliver({InstanceChange::kCreated, normalized->id, *normalized});
  return CreatedInstance{std::move(*normalized), token.Reveal(), true};
}

Result<Instance> Registry::Get(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  return store_.Get(*canonical);
}

Result<SharedInstance> Registry::GetShared(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  const std::int64_t now = now_ms_();
  {
    const std::lock_guard lock(cache_mutex_);
    if (const auto it = by_id_.find(*canonical);
        it != by_id_.end() && now - it->second.fetched_at_ms < cache_ttl_ms_) {
      return it->second.instance;
    }
  }
  const std::uint64_t generation = Generation();
  auto found = store_.Get(*canonical);
  SEEDWELL_RETURN_IF_ERROR(found);
  auto shared = std::make_shared<const Instance>(std::move(*found));
  const std::lock_guard lock(cache_mutex_);
  // A change made or published while the Store was read may be newer than |shared|: answer with
  // it this once, but do not cache it.
  if (Generation() != generation) return shared;
  if (by_id_.size() >= kMaxCachedInstances) {
    by_id_.clear();
    by_token_.clear();
  }
  if (const auto old = by_id_.find(*canonical); old != by_id_.end() && old->second.token_hash) {
    // Read by id, the token is not checked: the token's own entry expires with this refresh.
    by_token_.erase(*old->second.token_hash);
  }
  by_id_.insert_or_assign(*canonical, CacheEntry{shared, std::nullopt, now});
  return shared;
}

Result<InstancePage> Registry::List(const ListQuery& query) { return store_.List(query); }

Result<Instance> Registry::Update(std::string_view id, const InstancePatch& patch) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  const std::lock_guard write_lock(write_mutex_);
  auto current = store_.Get(*canonical);
  SEEDWELL_RETURN_IF_ERROR(current);
  auto updated = ApplyPatch(*current, patch);
  SEEDWELL_RETURN_IF_ERROR(updated);
  updated->updated_at_ms = now_ms_();
  auto stored = store_.Update(*updated);
  Invalidate(*canonical);
  SEEDWELL_RETURN_IF_ERROR(stored);
  Deliver({InstanceChange::kUpdated, *canonical, *updated});
  return updated;
}

Result<Instance> Registry::Revoke(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  const std::lock_guard write_lock(write_mutex_);
  auto current = store_.Get(*canonical);
  SEEDWELL_RETURN_IF_ERROR(current);
  if (current->state == InstanceState::kRevoked) return current;
  current->state = InstanceState::kRevoked;
  current->updated_at_ms = now_ms_();
  auto stored = store_.Update(*current);
  Invalidate(*canonical);
  SEEDWELL_RETURN_IF_ERROR(stored);
  spdlog::info("instance {} revoked", current->id);
  Deliver({InstanceChange::kRevoked, *canonical, *current});
  return current;
}

Result<void> Registry::Delete(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  const std::lock_guard write_lock(write_mutex_);
  auto deleted = store_.Delete(*canonical);
  Invalidate(*canonical);
  if (deleted) {
    spdlog::info("instance {} deleted", *canonical);
    Deliver({InstanceChange::kDeleted, *canonical, std::nullopt});
  }
  return deleted;
}

Result<std::string> Registry::RotateToken(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  const std::lock_guard write_lock(write_mutex_);
  auto current = store_.Get(*canonical);
  SEEDWELL_RETURN_IF_ERROR(current);
  if (current->state == InstanceState::kRevoked) {
    return Fail(ErrorCode::kFailedPrecondition, "instance " + *canonical + " is revoked");
  }
  auto token = MintToken(*canonical);
  SEEDWELL_RETURN_IF_ERROR(token);
  Deliver({InstanceChange::kTokenRotated, *canonical, *current});
  return token;
}

SharedInstance Registry::Cached(const TokenHash& hash, std::int64_t now,
                                bool stale_while_refreshing) {
  const std::lock_guard lock(cache_mutex_);
  const auto by_token = by_token_.find(hash);
  if (by_token == by_token_.end()) return nullptr;
  const auto entry = by_id_.find(by_token->second);
  if (entry == by_id_.end()) return nullptr;
  const CacheEntry& cached = entry->second;
  const std::int64_t age = now - cached.fetched_at_ms;
  const bool fresh = age < cache_ttl_ms_ ||
                     (stale_while_refreshing && cached.refreshing && age < 2 * cache_ttl_ms_);
  // The map lookup already matched; the constant-time compare is defence in depth.
  if (fresh && cached.token_hash && ConstantTimeEquals(*cached.token_hash, hash)) {
    return cached.instance;
  }
  return nullptr;
}

void Registry::MarkRefreshing(const TokenHash& hash, bool on) {
  const std::lock_guard lock(cache_mutex_);
  const auto by_token = by_token_.find(hash);
  if (by_token == by_token_.end()) return;
  if (const auto entry = by_id_.find(by_token->second); entry != by_id_.end()) {
    entry->second.refreshing = on;
  }
}

std::optional<Result<SharedInstance>> Registry::AuthenticateCached(std::string_view token_text) {
  auto token = Token::Parse(token_text, TokenKind::kInstance);
  if (!token) return Result<SharedInstance>(tl::unexpected(token.error()));
  auto cached = Cached(token->Hash(), now_ms_(), /*stale_while_refreshing=*/true);
  if (!cached) return std::nullopt;
  return Result<SharedInstance>(std::move(cached));
}

Result<SharedInstance> Registry::Authenticate(std::string_view token_text) {
  auto token = Token::Parse(token_text, TokenKind::kInstance);
  SEEDWELL_RETURN_IF_ERROR(token);
  const TokenHash hash = token->Hash();
  const std::int64_t now = now_ms_();
  if (auto cached = Cached(hash, now, /*stale_while_refreshing=*/false)) return cached;
  MarkRefreshing(hash, true);  // an expired entry keeps answering AuthenticateCached meanwhile
  auto found = store_.FindByTokenHash(hash);
  if (!found || found->state != InstanceState::kActive) {
    MarkRefreshing(hash, false);  // the old entry must not outlive a failed refresh
    if (!found) {
      if (found.error().code == ErrorCode::kNotFound) {
        return Fail(ErrorCode::kUnauthenticated, "unknown token");
      }
      return tl::unexpected(found.error());
    }
    return Fail(ErrorCode::kPermissionDenied, "instance " + found->id + " is revoked");
  }
  const std::lock_guard lock(cache_mutex_);
  if (by_id_.size() >= kMaxCachedInstances) {
    by_id_.clear();
    by_token_.clear();
  }
  if (const auto old = by_id_.find(found->id); old != by_id_.end() && old->second.token_hash) {
    by_token_.erase(*old->second.token_hash);
  }
  auto shared = std::make_shared<const Instance>(std::move(*found));
  by_id_.insert_or_assign(shared->id, CacheEntry{shared, hash, now});
  by_token_.insert_or_assign(hash, shared->id);
  return shared;
}

Result<void> Registry::RecordUsage(std::string_view id, UsageTransport transport,
                                   std::uint64_t bytes) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  const std::int64_t now = now_ms_();
  auto recorded = store_.RecordUsage(*canonical, transport, bytes, now);
  if (!recorded) return recorded;
  const std::lock_guard lock(cache_mutex_);
  if (const auto it = by_id_.find(*canonical); it != by_id_.end()) {
    // Copy on write: requests in flight keep the instance they were handed.
    auto updated = std::make_shared<Instance>(*it->second.instance);
    updated->bytes_issued =
        bytes > UINT64_MAX - updated->bytes_issued ? UINT64_MAX : updated->bytes_issued + bytes;
    updated->last_seen_at_ms = now;
    it->second.instance = std::move(updated);
  }
  return {};
}

Result<seedwell::Usage> Registry::Usage(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  return store_.GetUsage(*canonical);
}

Result<CreatedInstance> Registry::RegisterFromVendordata(
    std::string_view body, std::span<const std::uint8_t, kTokenKeyBytes> token_key) {
  auto request = VendordataFromJson(body);
  SEEDWELL_RETURN_IF_ERROR(request);
  Instance instance;
  instance.id = request->instance_id;
  instance.project_id = request->project_id;
  instance.name = request->hostname;
  instance.hostname = request->hostname;
  instance.metadata = request->metadata;
  for (int attempt = 0; attempt < 2; ++attempt) {  // a second pass only after losing a race
    {
      const std::lock_guard write_lock(write_mutex_);
      auto existing = store_.Get(instance.id);
      if (existing) {
        if (existing->project_id != instance.project_id) {
          return Fail(ErrorCode::kPermissionDenied,
                      "instance " + instance.id + " belongs to another project");
        }
        if (existing->state != InstanceState::kActive) {
          return Fail(ErrorCode::kPermissionDenied, "instance " + instance.id + " is revoked");
        }
        auto epoch = store_.TokenEpoch(existing->id);
        SEEDWELL_RETURN_IF_ERROR(epoch);
        const Token current = VendordataToken(token_key, *existing, *epoch);
        auto holder = store_.FindByTokenHash(current.Hash());
        if (holder && holder->id == existing->id) {
          // The guest may hold this token already: hand out the same one, rotate nothing.
          return CreatedInstance{std::move(*existing), current.Reveal(), false};
        }
        if (!holder && holder.error().code != ErrorCode::kNotFound) {
          return tl::unexpected(holder.error());
        }
        // An admin minted the token in place: replace it, once, with the next generation's.
        const Token next = VendordataToken(token_key, *existing, *epoch + 1);
        auto stored = store_.SetDerivedTokenHash(existing->id, next.Hash(), *epoch + 1);
        Invalidate(existing->id);
        SEEDWELL_RETURN_IF_ERROR(stored);
        Deliver({InstanceChange::kTokenRotated, existing->id, *existing});
        return CreatedInstance{std::move(*existing), next.Reveal(), false};
      }
      if (existing.error().code != ErrorCode::kNotFound) return tl::unexpected(existing.error());
    }
    auto created = CreateWith(instance, token_key);
    if (created || created.error().code != ErrorCode::kAlreadyExists) return created;
  }
  return Fail(ErrorCode::kUnavailable, "instance " + instance.id + " is being registered");
}

Result<void> Registry::RecordConfigDriveBuild(std::string_view id, std::string_view key_id,
                                              std::uint64_t size_bytes) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  return store_.RecordConfigDriveBuild(
      ConfigDriveBuild{*canonical, now_ms_(), std::string(key_id), size_bytes});
}

Result<std::vector<ConfigDriveBuild>> Registry::ListConfigDriveBuilds(std::string_view id) {
  auto canonical = CanonicalId(id);
  SEEDWELL_RETURN_IF_ERROR(canonical);
  return store_.ListConfigDriveBuilds(*canonical);
}

Result<StateCounts> Registry::CountByState() { return store_.CountByState(); }

Result<void> Registry::Ping() { return store_.Ping(); }

}  // namespace seedwell

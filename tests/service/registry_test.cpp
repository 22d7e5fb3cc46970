#include "service/registry.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "service/store/sqlite_store.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

constexpr const char* kId = "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11";
constexpr const char* kUpperId = "0F8E2E04-2D6D-4A1E-9C43-5A1F8F4A2B11";

// TempDir is a directory removed with everything in it when the test ends.
using testing::TempDir;

Instance NewInstance(const std::string& id = kId) {
  Instance instance;
  instance.id = id;
  instance.project_id = "p1";
  instance.name = "vm";
  return instance;
}

// GatedStore is the real SQLite store with one gate: while held, FindByTokenHash waits before it
// reads and Get after it has read, so a test can look at the Registry, or change the store, while
// a refresh from the store is in flight.
class GatedStore final : public Store {
 public:
  explicit GatedStore(Store& store) : store_(store) {}
  void Hold() {
    const std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    const std::lock_guard lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // WaitEntered waits (at most 2 s) until a lookup waits at the gate.
  bool WaitEntered() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(2), [this] { return waiting_ > 0; });
  }

  Result<Instance> FindByTokenHash(const TokenHash& token_hash) override {
    Gate();
    return store_.FindByTokenHash(token_hash);
  }
  Result<void> Create(const Instance& i, const TokenHash& h) override {
    return store_.Create(i, h);
  }
  Result<Instance> Get(std::string_view id) override {
    auto found = store_.Get(id);
    Gate();
    return found;
  }
  Result<InstancePage> List(const ListQuery& q) override { return store_.List(q); }
  Result<void> Update(const Instance& i) override { return store_.Update(i); }
  Result<void> Delete(std::string_view id) override { return store_.Delete(id); }
  Result<void> SetTokenHash(std::string_view id, const TokenHash& h) override {
    return store_.SetTokenHash(id, h);
  }
  Result<void> SetDerivedTokenHash(std::string_view id, const TokenHash& h,
                                   std::uint64_t epoch) override {
    return store_.SetDerivedTokenHash(id, h, epoch);
  }
  Result<std::uint64_t> TokenEpoch(std::string_view id) override { return store_.TokenEpoch(id); }
  Result<void> RecordUsage(std::string_view id, UsageTransport t, std::uint64_t bytes,
                           std::int64_t now_ms) override {
    return store_.RecordUsage(id, t, bytes, now_ms);
  }
  Result<Usage> GetUsage(std::string_view id) override { return store_.GetUsage(id); }
  Result<StateCounts> CountByState() override { return store_.CountByState(); }
  Result<void> RecordConfigDriveBuild(const ConfigDriveBuild& b) override {
    return store_.RecordConfigDriveBuild(b);
  }
  Result<std::vector<ConfigDriveBuild>> ListConfigDriveBuilds(std::string_view id) override {
    return store_.ListConfigDriveBuilds(id);
  }
  Result<void> Heartbeat(const ReplicaRecord& r, std::chrono::milliseconds forget) override {
    return store_.Heartbeat(r, forget);
  }
  Result<std::vector<ReplicaRecord>> ListReplicas(std::chrono::milliseconds live) override {
    return store_.ListReplicas(live);
  }
  Result<void> RemoveReplica(std::string_view id) override { return store_.RemoveReplica(id); }
  Result<void> Ping() override { return store_.Ping(); }

 private:
  void Gate() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !held_; });
    --waiting_;
  }

  Store& store_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int waiting_ = 0;
};

class RegistryTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = SqliteStore::Open(dir_.File("r.db"));
  std::atomic<std::int64_t> now_{1'700'000'000'000};
  Registry registry_{*store_, [this] { return now_.load(); }};
};

TEST_F(RegistryTest, CreateStampsAndReturnsAWorkingToken) {
  Instance input = NewInstance(kUpperId);
  input.state = InstanceState::kRevoked;  // ignored: new instances are active
  input.bytes_issued = 5;                 // ignored
  auto created = registry_.Create(input);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->instance.id, kId);
  EXPECT_EQ(created->instance.state, InstanceState::kActive);
  EXPECT_EQ(created->instance.created_at_ms, now_.load());
  EXPECT_EQ(created->instance.bytes_issued, 0U);
  EXPECT_EQ(created->token.substr(0, 4), "swi_");
  EXPECT_EQ(registry_.Authenticate(created->token).value()->id, kId);
  EXPECT_EQ(*registry_.Get(kUpperId), created->instance);
  EXPECT_EQ(registry_.Create(NewInstance()).error().code, ErrorCode::kAlreadyExists);
  Instance bad = NewInstance("not-a-uuid");
  EXPECT_EQ(registry_.Create(bad).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(RegistryTest, ConcurrentCreatesOfOneIdExactlyOneWins) {
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] { wins += registry_.Create(NewInstance()).has_value() ? 1 : 0; });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_F(RegistryTest, AuthenticateDistinguishesUnknownAndRevoked) {
  const auto created = *registry_.Create(NewInstance());
  EXPECT_EQ(registry_.Authenticate("garbage").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(registry_.Authenticate(Token::Generate(TokenKind::kInstance).Reveal()).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(registry_.Authenticate(Token::Generate(TokenKind::kAdmin).Reveal()).error().code,
            ErrorCode::kUnauthenticated);
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());  // now cached
  auto revoked = registry_.Revoke(kId);
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->state, InstanceState::kRevoked);
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_.Revoke(kId)->state, InstanceState::kRevoked);  // idempotent
  EXPECT_EQ(registry_.RotateToken(kId).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(registry_.Revoke("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(RegistryTest, CacheExpiresForWritesByAnotherReplica) {
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  Registry other(*store_, [this] { return now_.load(); });
  ASSERT_TRUE(other.Revoke(kId).has_value());
  EXPECT_TRUE(registry_.Authenticate(created.token).has_value());  // still cached
  now_ += Registry::kDefaultCacheTtlMs;
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(RegistryTest, AuthenticateCachedAnswersFromMemoryOnly) {
  const auto created = *registry_.Create(NewInstance());
  EXPECT_FALSE(registry_.AuthenticateCached(created.token).has_value());  // not cached yet
  auto malformed = registry_.AuthenticateCached("garbage");
  ASSERT_TRUE(malformed.has_value());  // no store needed to refuse it
  EXPECT_EQ(malformed->error().code, ErrorCode::kUnauthenticated);
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  auto cached = registry_.AuthenticateCached(created.token);
  ASSERT_TRUE(cached.has_value());
  ASSERT_TRUE(cached->has_value());
  EXPECT_EQ(cached->value()->id, kId);
  now_ += Registry::kDefaultCacheTtlMs;  // past the TTL only the store may answer
  EXPECT_FALSE(registry_.AuthenticateCached(created.token).has_value());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  ASSERT_TRUE(registry_.Revoke(kId).has_value());  // a local write drops the entry
  EXPECT_FALSE(registry_.AuthenticateCached(created.token).has_value());
}

TEST_F(RegistryTest, AnExpiredEntryAnswersFromMemoryOnlyWhileItIsRefreshed) {
  const auto created = *registry_.Create(NewInstance());
  GatedStore gated(*store_);
  Registry registry(gated, [this] { return now_.load(); });
  ASSERT_TRUE(registry.Authenticate(created.token).has_value());  // cached
  now_ += Registry::kDefaultCacheTtlMs;
  EXPECT_FALSE(registry.AuthenticateCached(created.token).has_value());  // expired, no refresh

  gated.Hold();
  auto refresh =
      std::async(std::launch::async, [&] { return registry.Authenticate(created.token); });
  ASSERT_TRUE(gated.WaitEntered());
  auto stale = registry.AuthenticateCached(created.token);  // the old entry, while refreshing
  ASSERT_TRUE(stale.has_value() && stale->has_value());
  EXPECT_EQ(stale->value()->id, kId);
  now_ += Registry::kDefaultCacheTtlMs;  // twice the TTL: not even while refreshing
  EXPECT_FALSE(registry.AuthenticateCached(created.token).has_value());
  now_ -= Registry::kDefaultCacheTtlMs;
  gated.Release();
  ASSERT_TRUE(refresh.get().has_value());
  EXPECT_TRUE(registry.AuthenticateCached(created.token).has_value());  // fresh again

  // A refresh that finds the instance revoked leaves nothing to answer from memory.
  ASSERT_TRUE(registry_.Revoke(kId).has_value());  // another Registry: no invalidation here
  now_ += Registry::kDefaultCacheTtlMs;
  EXPECT_EQ(registry.Authenticate(created.token).error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(registry.AuthenticateCached(created.token).has_value());
}

TEST_F(RegistryTest, GetSharedReadsTheStoreOncePerTtlOrChange) {
  ASSERT_TRUE(registry_.Create(NewInstance()).has_value());
  EXPECT_EQ(registry_.GetShared("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(registry_.GetShared("0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b12").error().code,
            ErrorCode::kNotFound);
  const auto first = *registry_.GetShared(kUpperId);  // any spelling of the id
  EXPECT_EQ(first->id, kId);
  Registry other(*store_, [this] { return now_.load(); });
  ASSERT_TRUE(other.Revoke(kId).has_value());
  EXPECT_EQ(registry_.GetShared(kId)->get(), first.get());  // cached: no Store read
  now_ += Registry::kDefaultCacheTtlMs;
  EXPECT_EQ((*registry_.GetShared(kId))->state, InstanceState::kRevoked);  // past the TTL

  InstancePatch rename;
  rename.name = "renamed";
  ASSERT_TRUE(registry_.Update(kId, rename).has_value());
  EXPECT_EQ((*registry_.GetShared(kId))->name, "renamed");  // a local write drops the entry
  Instance changed = *store_->Get(kId);
  changed.name = "elsewhere";
  ASSERT_TRUE(store_->Update(changed).has_value());
  EXPECT_EQ((*registry_.GetShared(kId))->name, "renamed");
  registry_.Publish({InstanceChange::kUpdated, kId, std::nullopt});  // the change feed says so
  EXPECT_EQ((*registry_.GetShared(kId))->name, "elsewhere");
}

TEST_F(RegistryTest, GetSharedDoesNotCacheAReadOvertakenByAChange) {
  ASSERT_TRUE(registry_.Create(NewInstance()).has_value());
  GatedStore gated(*store_);
  Registry registry(gated, [this] { return now_.load(); });
  gated.Hold();
  auto lookup = std::async(std::launch::async, [&] { return registry.GetShared(kId); });
  ASSERT_TRUE(gated.WaitEntered());  // it has read the instance, active
  ASSERT_TRUE(registry_.Revoke(kId).has_value());
  registry.Publish({InstanceChange::kRevoked, kId, std::nullopt});
  gated.Release();
  EXPECT_EQ(lookup.get().value()->state, InstanceState::kActive);         // answered once...
  EXPECT_EQ((*registry.GetShared(kId))->state, InstanceState::kRevoked);  // ...but not kept
}

TEST_F(RegistryTest, GetSharedRefreshingAnEntryRetiresItsToken) {
  // A refresh by id does not check the token, so it must not keep a token fresh: a rotation
  // elsewhere is still seen within the TTL.
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  Registry other(*store_, [this] { return now_.load(); });
  ASSERT_TRUE(other.RotateToken(kId).has_value());
  now_ += Registry::kDefaultCacheTtlMs;
  ASSERT_TRUE(registry_.GetShared(kId).has_value());  // refreshed by id
  EXPECT_FALSE(registry_.AuthenticateCached(created.token).has_value());
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(RegistryTest, InvalidateAllDropsEveryCachedInstance) {
  // After the change feed reconnects, changes made elsewhere meanwhile take effect at once.
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  Registry other(*store_, [this] { return now_.load(); });
  ASSERT_TRUE(other.Revoke(kId).has_value());
  EXPECT_TRUE(registry_.Authenticate(created.token).has_value());  // still cached
  const auto generation = registry_.Generation();
  registry_.InvalidateAll();
  EXPECT_GT(registry_.Generation(), generation);
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(RegistryTest, RotateTokenInvalidatesTheOldOne) {
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  auto rotated = registry_.RotateToken(kUpperId);
  ASSERT_TRUE(rotated.has_value());
  EXPECT_NE(*rotated, created.token);
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(registry_.Authenticate(*rotated).value()->id, kId);
  EXPECT_EQ(registry_.RotateToken("00000000-0000-4000-8000-000000000000").error().code,
            ErrorCode::kNotFound);
}

TEST_F(RegistryTest, UpdateAppliesPatchAndStampsTime) {
  ASSERT_TRUE(registry_.Create(NewInstance()).has_value());
  now_ += 1000;
  InstancePatch patch;
  patch.hostname = "vm-2";
  patch.rate_limit.emplace(RateLimit{10, 20});
  auto updated = registry_.Update(kId, patch);
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->hostname, "vm-2");
  EXPECT_EQ(updated->updated_at_ms, now_.load());
  EXPECT_EQ(*registry_.Get(kId), *updated);
  InstancePatch bad;
  bad.rate_limit.emplace(RateLimit{20, 10});
  EXPECT_EQ(registry_.Update(kId, bad).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(registry_.Get(kId)->rate_limit, (RateLimit{10, 20}));
  EXPECT_EQ(registry_.Update("00000000-0000-4000-8000-000000000000", patch).error().code,
            ErrorCode::kNotFound);
}

TEST_F(RegistryTest, CachedInstancesAreSharedAndNeverChangedUnderTheirHolders) {
  const auto created = *registry_.Create(NewInstance());
  const SharedInstance first = registry_.Authenticate(created.token).value();
  // Every request gets the cache's one copy, from memory or not.
  EXPECT_EQ(registry_.Authenticate(created.token).value().get(), first.get());
  EXPECT_EQ(registry_.AuthenticateCached(created.token)->value().get(), first.get());
  // Recording usage replaces the cached instance; one a request already holds stays as it was.
  ASSERT_TRUE(registry_.RecordUsage(kId, UsageTransport::kHttp, 64).has_value());
  const SharedInstance second = registry_.Authenticate(created.token).value();
  EXPECT_NE(second.get(), first.get());
  EXPECT_EQ(first->bytes_issued, 0U);
  EXPECT_EQ(second->bytes_issued, 64U);
}

TEST_F(RegistryTest, UsageIsRecordedAndVisibleThroughTheCache) {
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  now_ += 10;
  ASSERT_TRUE(registry_.RecordUsage(kId, UsageTransport::kHttp, 64).has_value());
  ASSERT_TRUE(registry_.RecordUsage(kUpperId, UsageTransport::kEgd, 64).has_value());
  ASSERT_TRUE(registry_.RecordUsage(kId, UsageTransport::kEgd, 191).has_value());
  EXPECT_EQ(*registry_.Usage(kId), (Usage{319, now_.load(), {{"egd", 255}, {"http", 64}}}));
  EXPECT_EQ(registry_.Authenticate(created.token).value()->bytes_issued, 319U);
  EXPECT_EQ(registry_.RecordUsage("x", UsageTransport::kHttp, 1).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(registry_.Usage("00000000-0000-4000-8000-000000000000").error().code,
            ErrorCode::kNotFound);
}

TEST_F(RegistryTest, DeleteRemovesInstanceAndToken) {
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());
  ASSERT_TRUE(registry_.RecordConfigDriveBuild(kId, "key-1", 4096).has_value());
  ASSERT_TRUE(registry_.Delete(kId).has_value());
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(registry_.Get(kId).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(registry_.Delete(kId).error().code, ErrorCode::kNotFound);
  auto builds = registry_.ListConfigDriveBuilds(kUpperId);
  ASSERT_EQ(builds->size(), 1U);
  EXPECT_EQ((*builds)[0], (ConfigDriveBuild{kId, now_.load(), "key-1", 4096}));
  EXPECT_EQ(registry_.RecordConfigDriveBuild(kId, "k", 1).error().code, ErrorCode::kNotFound);
}

TEST_F(RegistryTest, ListAndCountPassThrough) {
  ASSERT_TRUE(registry_.Create(NewInstance()).has_value());
  ASSERT_TRUE(registry_.Create(NewInstance("00000000-0000-4000-8000-000000000001")).has_value());
  ASSERT_TRUE(registry_.Revoke(kId).has_value());
  EXPECT_EQ(*registry_.CountByState(), (StateCounts{1, 1}));
  ListQuery query;
  query.state = InstanceState::kRevoked;
  auto page = registry_.List(query);
  ASSERT_EQ(page->instances.size(), 1U);
  EXPECT_EQ(page->instances[0].id, kId);
  EXPECT_TRUE(registry_.Ping().has_value());
}

// A fixed derivation key for the vendordata tests.
std::array<std::uint8_t, kTokenKeyBytes> TestKey(std::uint8_t fill) {
  std::array<std::uint8_t, kTokenKeyBytes> key{};
  key.fill(fill);
  return key;
}

const std::string kVendordataBody =
    std::string(R"({"project-id": "p1", "instance-id": ")") + kUpperId +
    R"(", "hostname": "vm1", "metadata": {"a": "b"}, "image-id": "i",
                               "user-data": null, "boot-roles": "member"})";

TEST_F(RegistryTest, VendordataRegistersOnceAndKeepsTheGuestsToken) {
  const auto key = TestKey(7);
  int rotations = 0;
  registry_.Subscribe([&rotations](const InstanceEvent& event) {
    if (event.change == InstanceChange::kTokenRotated) ++rotations;
  });
  auto first = registry_.RegisterFromVendordata(kVendordataBody, key);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->instance.id, kId);
  EXPECT_EQ(first->instance.hostname, "vm1");
  EXPECT_EQ(first->instance.metadata.at("a"), "b");
  // Nova calls again whenever its metadata cache expires: the guest's token must keep working.
  for (int call = 0; call < 5; ++call) {
    auto again = registry_.RegisterFromVendordata(kVendordataBody, key);
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->instance, first->instance);
    EXPECT_EQ(again->token, first->token);
  }
  EXPECT_EQ(registry_.Authenticate(first->token).value()->id, kId);
  EXPECT_EQ(rotations, 0);
  EXPECT_EQ(*registry_.CountByState(), (StateCounts{1, 0}));
}

TEST_F(RegistryTest, VendordataTokenDependsOnTheKey) {
  auto first = registry_.RegisterFromVendordata(kVendordataBody, TestKey(7));
  ASSERT_TRUE(first.has_value());
  // Another key does not derive the stored token, so the call replaces it (as after an admin
  // rotation), once; the new token is then stable under that key.
  auto other = registry_.RegisterFromVendordata(kVendordataBody, TestKey(8));
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->token, first->token);
  EXPECT_EQ(registry_.RegisterFromVendordata(kVendordataBody, TestKey(8))->token, other->token);
}

TEST_F(RegistryTest, VendordataAfterAnAdminRotationIssuesANewStableToken) {
  const auto key = TestKey(7);
  auto first = registry_.RegisterFromVendordata(kVendordataBody, key);
  ASSERT_TRUE(first.has_value());
  auto rotated = registry_.RotateToken(kId);  // e.g. after first->token leaked
  ASSERT_TRUE(rotated.has_value());
  auto next = registry_.RegisterFromVendordata(kVendordataBody, key);
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->token, first->token);  // the leaked token does not come back
  EXPECT_NE(next->token, *rotated);
  EXPECT_EQ(registry_.Authenticate(first->token).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(registry_.Authenticate(*rotated).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(registry_.RegisterFromVendordata(kVendordataBody, key)->token, next->token);
  EXPECT_EQ(registry_.Authenticate(next->token).value()->id, kId);
  EXPECT_EQ(*store_->TokenEpoch(kId), 1U);
}

TEST_F(RegistryTest, VendordataForAnAdminCreatedInstanceReplacesItsTokenOnce) {
  auto created = registry_.Create(NewInstance());
  ASSERT_TRUE(created.has_value());
  auto first = registry_.RegisterFromVendordata(kVendordataBody, TestKey(7));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->created);
  EXPECT_NE(first->token, created->token);
  EXPECT_EQ(registry_.RegisterFromVendordata(kVendordataBody, TestKey(7))->token, first->token);
}

TEST_F(RegistryTest, APurgedAndReRegisteredIdDoesNotGetItsOldTokenBack) {
  const auto key = TestKey(7);
  auto first = registry_.RegisterFromVendordata(kVendordataBody, key);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(registry_.Delete(kId).has_value());
  now_ += 1000;
  auto again = registry_.RegisterFromVendordata(kVendordataBody, key);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->created);
  EXPECT_NE(again->token, first->token);
}

TEST_F(RegistryTest, VendordataRefusesOtherProjectsRevokedAndMalformed) {
  const auto key = TestKey(7);
  ASSERT_TRUE(registry_.RegisterFromVendordata(kVendordataBody, key).has_value());
  const std::string other_project =
      std::string(R"({"project-id": "p2", "instance-id": ")") + kId + R"("})";
  EXPECT_EQ(registry_.RegisterFromVendordata(other_project, key).error().code,
            ErrorCode::kPermissionDenied);
  ASSERT_TRUE(registry_.Revoke(kId).has_value());
  EXPECT_EQ(registry_.RegisterFromVendordata(kVendordataBody, key).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_.RegisterFromVendordata("{}", key).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_
                .RegisterFromVendordata(
                    R"({"project-id": "p1", "instance-id": "00000000-0000-4000-8000-000000000002",
                        "hostname": "bad_host"})",
                    key)
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
}

// Every write publishes one event, after it is stored, to every subscriber; Publish invalidates
// the cache like a local write, and an unsubscribed listener hears nothing more.
TEST_F(RegistryTest, WritesPublishInstanceEventsToSubscribers) {
  std::vector<std::pair<InstanceChange, std::string>> heard;
  const std::uint64_t id = registry_.Subscribe([&heard](const InstanceEvent& event) {
    heard.emplace_back(event.change, event.id);
    if (event.change == InstanceChange::kDeleted) {
      EXPECT_FALSE(event.instance.has_value());
    } else {
      ASSERT_TRUE(event.instance.has_value());
      EXPECT_EQ(event.instance->id, event.id);
    }
  });
  const auto created = *registry_.Create(NewInstance());
  InstancePatch patch;
  patch.name = "renamed";
  ASSERT_TRUE(registry_.Update(kUpperId, patch).has_value());
  ASSERT_TRUE(registry_.RotateToken(kId).has_value());
  ASSERT_TRUE(registry_.Revoke(kId).has_value());
  ASSERT_TRUE(registry_.Revoke(kId).has_value());  // already revoked: no second event
  ASSERT_TRUE(registry_.Delete(kId).has_value());
  EXPECT_EQ(registry_.Delete(kId).error().code, ErrorCode::kNotFound);  // failed: no event
  const std::vector<std::pair<InstanceChange, std::string>> expected = {
      {InstanceChange::kCreated, kId},
      {InstanceChange::kUpdated, kId},
      {InstanceChange::kTokenRotated, kId},
      {InstanceChange::kRevoked, kId},
      {InstanceChange::kDeleted, kId}};
  EXPECT_EQ(heard, expected);
  (void)created;

  registry_.Unsubscribe(id);
  ASSERT_TRUE(registry_.Create(NewInstance()).has_value());
  EXPECT_EQ(heard.size(), expected.size());
}

TEST_F(RegistryTest, PublishDropsTheCachedInstance) {
  const auto created = *registry_.Create(NewInstance());
  ASSERT_TRUE(registry_.Authenticate(created.token).has_value());  // cached now
  // Another replica revokes it behind this registry's back, then tells it so.
  Instance revoked = *store_->Get(kId);
  revoked.state = InstanceState::kRevoked;
  ASSERT_TRUE(store_->Update(revoked).has_value());
  EXPECT_TRUE(registry_.Authenticate(created.token).has_value());  // still cached
  int heard = 0;
  registry_.Subscribe([&heard](const InstanceEvent&) { ++heard; });
  registry_.Publish({InstanceChange::kRevoked, kId, std::nullopt});
  EXPECT_EQ(registry_.Authenticate(created.token).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(heard, 1);
}

}  // namespace
}  // namespace seedwell

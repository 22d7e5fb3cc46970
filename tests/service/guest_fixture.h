// GuestFixture: a seeded EntropyService, an SQLite registry with one instance, a fake-clock rate
// limiter, a Dispenser and a key ring, for the Issuer and identity tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "crypto/key_ring.h"
#include "service/address_index.h"
#include "service/dispenser.h"
#include "service/sqlite_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/temp_dir.h"

namespace seedwell::testing {

inline constexpr char kGuestId[] = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";

class GuestFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    EntropyOptions options;
    options.sources.rdseed = options.sources.rdrand = options.sources.hwrng = false;
    options.policy.allow_kernel_only = true;
    auto entropy = EntropyService::Create(options, SteadyClock::Instance());
    ASSERT_TRUE(entropy.has_value());
    entropy_ = std::move(*entropy);
    ASSERT_TRUE(entropy_->Seed().has_value());
    store_ = SqliteStore::Open(dir_.File("db.sqlite"));
    registry_ = std::make_unique<Registry>(*store_, [] { return std::int64_t{1'700'000'000'000}; });
    addresses_ =
        std::make_unique<AddressIndex>(*registry_, [] { return std::int64_t{1'700'000'000'000}; });
    Instance instance;
    instance.id = kGuestId;
    instance.project_id = "p";
    auto created = registry_->Create(instance);
    ASSERT_TRUE(created.has_value());
    instance_ = created->instance;
    token_ = created->token;
    limiter_ = std::make_unique<RateLimiter>(clock_, BucketLimits{});
    dispenser_ =
        std::make_unique<Dispenser>(*entropy_, *registry_, *limiter_, BucketLimits{1000, 2000});
    auto keys = KeyRing::Open(dir_.path() / "keys");
    ASSERT_TRUE(keys.has_value());
    keys_ = std::move(*keys);
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<EntropyService> entropy_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<AddressIndex> addresses_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Dispenser> dispenser_;
  std::unique_ptr<KeyRing> keys_;
  Instance instance_;
  std::string token_;
};

}  // namespace seedwell::testing

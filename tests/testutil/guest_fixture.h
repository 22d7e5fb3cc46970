// GuestFixture: a seeded EntropyService, an SQLite registry with one instance, a fake-clock rate
// limiter, a Dispenser and a key ring, for the Issuer and identity tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "crypto/key_ring.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/service_stack.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell::testing {

inline constexpr char kGuestId[] = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";

class GuestFixture : public ::testing::Test, protected ServiceStack {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BuildStack(dir_.path(), {.limiter_clock = &clock_}).has_value());
    auto created = RegisterInstance(kGuestId);
    ASSERT_TRUE(created.has_value());
    instance_ = created->instance;
    token_ = created->token;
    auto keys = KeyRing::Open(dir_.path() / "keys");
    ASSERT_TRUE(keys.has_value());
    keys_ = std::move(*keys);
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<KeyRing> keys_;
  Instance instance_;
  std::string token_;
};

}  // namespace seedwell::testing

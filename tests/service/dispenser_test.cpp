#include "service/dispenser.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "service/store/sqlite_store.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/service_stack.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

constexpr char kId[] = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";

class DispenserTest : public ::testing::Test, protected testing::ServiceStack {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BuildStack(dir_.path(), {.limiter_clock = &clock_,
                                         .bytes_issued = &bytes_issued_,
                                         .refusals = &refusals_})
                    .has_value());
    auto created = RegisterInstance(kId);
    ASSERT_TRUE(created.has_value());
    instance_ = created->instance;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  MetricsRegistry metrics_;
  Family<Counter>& bytes_issued_ = metrics_.AddCounter("bytes_total", "bytes", {"transport"});
  Family<Counter>& refusals_ = metrics_.AddCounter("refusals_total", "refusals", {"transport"});
  Instance instance_;
};

TEST_F(DispenserTest, DrawsDistinctOutputAndCountsItAfterAFlush) {
  std::array<std::uint8_t, 64> a{}, b{};
  ASSERT_TRUE(dispenser_->Draw(instance_, a, UsageTransport::kHttp).has_value());
  ASSERT_TRUE(dispenser_->Draw(instance_, b, UsageTransport::kEgd).has_value());
  EXPECT_NE(a, b);
  EXPECT_FALSE(std::all_of(a.begin(), a.end(), [](auto v) { return v == 0; }));
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 0U);  // not flushed yet
  dispenser_->FlushUsage();
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 128U);
  EXPECT_EQ(registry_->Usage(kId)->bytes_by_transport,
            (std::map<std::string, std::uint64_t>{{"egd", 64}, {"http", 64}}));
  EXPECT_EQ(bytes_issued_.WithLabels({"http"}).Value(), 64);
  EXPECT_EQ(bytes_issued_.WithLabels({"egd"}).Value(), 64);
}

TEST_F(DispenserTest, CountsRateLimitRefusalsPerTransport) {
  // Every transport's series exists from the start, at 0, so alerting rules see the first one.
  for (const char* transport : {"http", "openstack", "pollen", "egd", "config_drive", "other"}) {
    EXPECT_EQ(refusals_.WithLabels({transport}).Value(), 0) << transport;
  }
  // The default limits are 1000 B/s with a 2000-byte burst, and the fake clock stands still.
  std::array<std::uint8_t, 1500> big{};
  ASSERT_TRUE(dispenser_->Draw(instance_, big, UsageTransport::kHttp).has_value());
  std::chrono::milliseconds retry_after{0};
  auto refused = dispenser_->Draw(instance_, big, UsageTransport::kPollen, &retry_after);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_FALSE(dispenser_->Draw(instance_, big, UsageTransport::kPollen).has_value());
  EXPECT_FALSE(dispenser_->Draw(instance_, big, UsageTransport::kOpenStack).has_value());
  EXPECT_EQ(refusals_.WithLabels({"pollen"}).Value(), 2);
  EXPECT_EQ(refusals_.WithLabels({"openstack"}).Value(), 1);
  EXPECT_EQ(refusals_.WithLabels({"http"}).Value(), 0);
  dispenser_->RecordRefusal(UsageTransport::kEgd);
  EXPECT_EQ(refusals_.WithLabels({"egd"}).Value(), 1);
  std::size_t series = 0;
  refusals_.ForEach([&series](const auto&, const Counter&) { ++series; });
  EXPECT_EQ(series, 6U);
}

TEST_F(DispenserTest, UsageIsSummedPerTransportBetweenFlushes) {
  std::array<std::uint8_t, 100> out{};
  for (const UsageTransport transport :
       {UsageTransport::kHttp, UsageTransport::kEgd, UsageTransport::kEgd, UsageTransport::kPollen,
        UsageTransport::kOpenStack, UsageTransport::kEgd}) {
    ASSERT_TRUE(dispenser_->Draw(instance_, out, transport).has_value());
  }
  ASSERT_TRUE(
      dispenser_->Fill(instance_, std::span(out).first(55), UsageTransport::kEgd).has_value());
  dispenser_->FlushUsage();
  EXPECT_EQ(*registry_->Usage(kId),
            (Usage{655,
                   1'700'000'000'000,
                   {{"egd", 355}, {"http", 100}, {"openstack", 100}, {"pollen", 100}}}));
  ASSERT_TRUE(dispenser_->Draw(instance_, out, UsageTransport::kHttp).has_value());
  dispenser_->FlushUsage();
  dispenser_->FlushUsage();  // nothing pending: nothing added twice
  EXPECT_EQ(registry_->Usage(kId)->bytes_by_transport.at("http"), 200U);
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 755U);
}

TEST_F(DispenserTest, AFailedFlushKeepsTheBytesForTheNextOne) {
  std::array<std::uint8_t, 40> out{};
  ASSERT_TRUE(dispenser_->Draw(instance_, out, UsageTransport::kHttp).has_value());
  ASSERT_TRUE(dispenser_->Draw(instance_, out, UsageTransport::kEgd).has_value());
  // Another connection makes writes of the egd counter fail (the http one still succeeds).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("db.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER fail_egd BEFORE INSERT ON instance_usage "
                         "WHEN NEW.transport = 'egd' BEGIN SELECT RAISE(ABORT, 'injected'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  dispenser_->FlushUsage();
  EXPECT_EQ(registry_->Usage(kId)->bytes_by_transport,
            (std::map<std::string, std::uint64_t>{{"http", 40}}));
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 40U);
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER fail_egd", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(dispenser_->Draw(instance_, out, UsageTransport::kEgd).has_value());
  dispenser_->FlushUsage();  // the kept 40 and the new 40
  EXPECT_EQ(registry_->Usage(kId)->bytes_by_transport,
            (std::map<std::string, std::uint64_t>{{"egd", 80}, {"http", 40}}));
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 120U);
}

TEST_F(DispenserTest, EveryTransportIsCountedUnderItsOwnName) {
  std::array<std::uint8_t, 10> out{};
  for (const UsageTransport transport : kUsageTransports) {
    ASSERT_TRUE(dispenser_->Draw(instance_, out, transport).has_value());
  }
  dispenser_->FlushUsage();
  const auto by_transport = registry_->Usage(kId)->bytes_by_transport;
  EXPECT_EQ(by_transport.size(), kUsageTransports.size());
  for (const UsageTransport transport : kUsageTransports) {
    const std::string name(UsageTransportName(transport));
    EXPECT_EQ(by_transport.at(name), 10U) << name;
    EXPECT_EQ(bytes_issued_.WithLabels({name}).Value(), 10) << name;
  }
}

TEST_F(DispenserTest, RateLimitRefusesWithAWaitAndChargesNothing) {
  std::array<std::uint8_t, 1500> big{};
  ASSERT_TRUE(dispenser_->Draw(instance_, big, UsageTransport::kHttp).has_value());
  std::chrono::milliseconds wait{0};
  auto refused = dispenser_->Draw(instance_, big, UsageTransport::kHttp, &wait);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(wait, std::chrono::milliseconds(1000));  // 1000 missing bytes at 1000 B/s
  clock_.Advance(wait);
  EXPECT_TRUE(dispenser_->Draw(instance_, big, UsageTransport::kHttp).has_value());
  dispenser_->FlushUsage();
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 3000U);  // the refusal counted nothing
}

// With a minimum charge, tiny draws cost the bucket the minimum: 2000 bytes of burst buy 31 draws
// of one byte at 64 bytes each, not 2000.
class DispenserMinChargeTest : public DispenserTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BuildStack(dir_.path(), {.limiter_clock = &clock_,
                                         .bytes_issued = &bytes_issued_,
                                         .min_charge_bytes = 64})
                    .has_value());
    auto created = RegisterInstance(kId);
    ASSERT_TRUE(created.has_value());
    instance_ = created->instance;
  }
};

TEST_F(DispenserMinChargeTest, TinyDrawsAreChargedTheMinimum) {
  std::array<std::uint8_t, 1> one{};
  int granted = 0;
  for (int i = 0; i < 2000 && dispenser_->Draw(instance_, one, UsageTransport::kHttp).has_value();
       ++i)
    ++granted;
  EXPECT_EQ(granted, 2000 / 64);
  std::chrono::milliseconds wait{0};
  auto refused = dispenser_->Draw(instance_, one, UsageTransport::kPollen, &wait);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(wait, std::chrono::milliseconds(48));  // 2000 - 31 * 64 = 16 held, 48 missing
  dispenser_->FlushUsage();
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 31U);  // usage counts the bytes handed out
}

TEST_F(DispenserMinChargeTest, EveryTransportAndReservePayTheMinimum) {
  // Reserve is what the EGD server calls; Draw is what HTTP, OpenStack and pollen call.
  EXPECT_TRUE(dispenser_->Reserve(instance_, 1).granted);  // 64 charged, 1936 left
  std::array<std::uint8_t, 1> one{};
  for (const UsageTransport transport : {UsageTransport::kHttp, UsageTransport::kOpenStack,
                                         UsageTransport::kPollen, UsageTransport::kEgd}) {
    EXPECT_TRUE(dispenser_->Draw(instance_, one, transport).has_value());  // 4 x 64
  }
  std::array<std::uint8_t, 1680> rest{};  // 2000 - 5 * 64 = 1680 exactly
  EXPECT_TRUE(dispenser_->Draw(instance_, rest, UsageTransport::kHttp).has_value());
  EXPECT_FALSE(dispenser_->Reserve(instance_, 1).granted);
}

TEST_F(DispenserMinChargeTest, ChargeIsTheBytesAboveTheMinimumAndNeverPastTheBurst) {
  EXPECT_EQ(dispenser_->ChargeFor(1, {1000, 2000}), 64U);
  EXPECT_EQ(dispenser_->ChargeFor(64, {1000, 2000}), 64U);
  EXPECT_EQ(dispenser_->ChargeFor(500, {1000, 2000}), 500U);
  EXPECT_EQ(dispenser_->ChargeFor(1, {10, 10}), 10U);  // a burst under the minimum still serves
  EXPECT_EQ(dispenser_->ChargeFor(1, {0, 0}), 64U);    // unlimited: the charge does not matter
  instance_.rate_limit = RateLimit{10, 10};
  std::array<std::uint8_t, 1> one{};
  EXPECT_TRUE(dispenser_->Draw(instance_, one, UsageTransport::kHttp).has_value());
  EXPECT_FALSE(dispenser_->Draw(instance_, one, UsageTransport::kHttp).has_value());
}

TEST_F(DispenserTest, WithoutAMinimumTheChargeIsTheBytes) {
  std::array<std::uint8_t, 1> one{};
  int granted = 0;
  for (int i = 0; i < 2100 && dispenser_->Draw(instance_, one, UsageTransport::kHttp).has_value();
       ++i)
    ++granted;
  EXPECT_EQ(granted, 2000);
}

TEST_F(DispenserTest, InstanceLimitOverridesTheDefault) {
  instance_.rate_limit = RateLimit{10, 10};
  EXPECT_EQ(dispenser_->LimitsFor(instance_).burst_bytes, 10U);
  std::array<std::uint8_t, 11> eleven{};
  EXPECT_FALSE(dispenser_->Draw(instance_, eleven, UsageTransport::kHttp).has_value());
}

TEST_F(DispenserTest, RevokedInstanceGetsNothing) {
  instance_.state = InstanceState::kRevoked;
  std::array<std::uint8_t, 8> out{};
  auto refused = dispenser_->Draw(instance_, out, UsageTransport::kHttp);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(DispenserTest, UsageOfADeletedInstanceIsDroppedNotRetried) {
  std::array<std::uint8_t, 8> out{};
  ASSERT_TRUE(dispenser_->Draw(instance_, out, UsageTransport::kHttp).has_value());
  ASSERT_TRUE(registry_->Delete(kId).has_value());
  dispenser_->FlushUsage();  // kNotFound: dropped
  dispenser_->FlushUsage();  // nothing pending, nothing logged
  EXPECT_FALSE(registry_->Usage(kId).has_value());
}

TEST_F(DispenserTest, PendingUsageIsBoundedAndWhatIsDroppedIsCounted) {
  // A buffer of two entries: a third (instance, transport) first seen while it is full is served
  // but not counted; entries already pending keep counting; a flush makes room again.
  Counter& dropped = metrics_.AddCounter("usage_dropped_total", "dropped").Get();
  Dispenser bounded(*entropy_, *registry_, *limiter_, BucketLimits{}, nullptr, nullptr, 0, 2,
                    &dropped);
  const std::string second = "7b2f3d2f-0b66-4c4a-8e4d-2f1b1c7d8e9f";
  const std::string third = "8c3a4e3a-1c77-4d5b-9f5e-3a2c2d8e9fa0";
  ASSERT_TRUE(RegisterInstance(second).has_value());
  ASSERT_TRUE(RegisterInstance(third).has_value());
  std::array<std::uint8_t, 64> out{};
  ASSERT_TRUE(bounded.Draw(instance_, out, UsageTransport::kHttp).has_value());
  ASSERT_TRUE(bounded.Draw(*registry_->Get(second), out, UsageTransport::kHttp).has_value());
  ASSERT_TRUE(bounded.Draw(*registry_->Get(third), out, UsageTransport::kHttp).has_value());
  ASSERT_TRUE(bounded.Draw(instance_, out, UsageTransport::kHttp).has_value());
  EXPECT_EQ(bounded.PendingUsageEntries(), 2U);
  EXPECT_EQ(dropped.Value(), 64);
  bounded.FlushUsage();
  EXPECT_EQ(bounded.PendingUsageEntries(), 0U);
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 128U);
  EXPECT_EQ(registry_->Usage(second)->bytes_issued, 64U);
  EXPECT_EQ(registry_->Usage(third)->bytes_issued, 0U);
  ASSERT_TRUE(bounded.Draw(*registry_->Get(third), out, UsageTransport::kHttp).has_value());
  bounded.FlushUsage();
  EXPECT_EQ(registry_->Usage(third)->bytes_issued, 64U);
  EXPECT_EQ(dropped.Value(), 64);
}

}  // namespace
}  // namespace seedwell

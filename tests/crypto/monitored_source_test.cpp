#include "crypto/monitored_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/testutil/fake_clock.h"
#include "tests/testutil/fake_source.h"

namespace seedwell {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::FakeClock;
using testing::FakeMode;
using testing::FakeSource;
using testing::FakeSourceControl;

class MonitoredSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<MonitoredSource> Make(double h = 8.0) {
    return std::make_unique<MonitoredSource>(
        std::make_unique<FakeSource>("fake", SourceKind::kHardware, h, control_), clock_);
  }

  static bool AllZero(std::span<const std::uint8_t> s) {
    return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
  }

  FakeClock clock_;
  std::shared_ptr<FakeSourceControl> control_ = std::make_shared<FakeSourceControl>();
};

TEST_F(MonitoredSourceTest, StartupTestReadsAndDiscardsSamplesBeforeFirstUse) {
  auto source = Make();
  EXPECT_EQ(source->Status().state, SourceState::kStarting);
  std::array<std::uint8_t, 32> out{};
  ASSERT_TRUE(source->Read(out));
  EXPECT_FALSE(AllZero(out));
  EXPECT_EQ(control_->bytes_read.load(), kStartupSamples + out.size());
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kHealthy);
  EXPECT_EQ(status.bytes_delivered, out.size());  // start-up samples are not delivered

  // The first delivered bytes are the fake's bytes after the discarded ones.
  FakeSource reference("ref");
  std::array<std::uint8_t, kStartupSamples + 32> expected{};
  ASSERT_TRUE(reference.Read(expected));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), expected.begin() + kStartupSamples));
}

TEST_F(MonitoredSourceTest, ExplicitStartRunsTheStartupTestOnce) {
  auto source = Make();
  ASSERT_TRUE(source->Start());
  ASSERT_TRUE(source->Start());
  EXPECT_EQ(control_->bytes_read.load(), kStartupSamples);
  EXPECT_EQ(source->Status().state, SourceState::kHealthy);
}

TEST_F(MonitoredSourceTest, GlitchFailsStartupAndIsQuarantined) {
  control_->mode = FakeMode::kBursts;  // a run of 6 at H = 8: intermittent (5), not permanent (9)
  auto source = Make();
  std::array<std::uint8_t, 16> out{};
  out.fill(0xEE);
  auto r = source->Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(AllZero(out));  // wiped on failure
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kQuarantined);
  EXPECT_EQ(status.failures, 1U);
  EXPECT_EQ(status.startup_failures, 1U);
  EXPECT_EQ(status.rct_failures, 0U);
  EXPECT_EQ(status.permanent_failures, 0U);
  EXPECT_NE(status.last_failure.find("repetition count"), std::string::npos);
  EXPECT_NE(status.last_failure.find("intermittent"), std::string::npos);
}

TEST_F(MonitoredSourceTest, StuckSourceFailsStartupPermanentlyAndIsDisabled) {
  control_->mode = FakeMode::kStuck;
  auto source = Make();
  std::array<std::uint8_t, 16> out{};
  auto r = source->Read(out);
  ASSERT_FALSE(r);
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kDisabled);
  EXPECT_EQ(SourceStateName(status.state), "disabled");
  EXPECT_EQ(status.startup_failures, 1U);
  EXPECT_EQ(status.permanent_failures, 1U);
  EXPECT_NE(status.last_failure.find("permanent"), std::string::npos);
}

TEST_F(MonitoredSourceTest, DisabledSourceIsNeverRetriedByItself) {
  control_->mode = FakeMode::kStuck;
  auto source = Make();
  ASSERT_FALSE(source->Start());
  control_->mode = FakeMode::kGood;  // healthy again: without a reset, it stays disabled
  const auto reads = control_->reads.load();
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(std::chrono::hours(1));
    std::array<std::uint8_t, 8> out{};
    auto r = source->Read(out);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("disabled"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(control_->reads.load(), reads);  // the device is not even read
  EXPECT_EQ(source->Status().state, SourceState::kDisabled);
  EXPECT_EQ(source->Status().failures, 1U);
}

TEST_F(MonitoredSourceTest, ResetBringsADisabledSourceBackThroughTheStartupTest) {
  control_->mode = FakeMode::kStuck;
  auto source = Make();
  ASSERT_FALSE(source->Start());
  // A reset while the source is still stuck disables it again, at once.
  auto again = source->Reset();
  ASSERT_FALSE(again);
  EXPECT_EQ(source->Status().state, SourceState::kDisabled);
  EXPECT_EQ(source->Status().permanent_failures, 2U);

  control_->mode = FakeMode::kGood;
  const auto before = control_->bytes_read.load();
  ASSERT_TRUE(source->Reset());
  EXPECT_EQ(control_->bytes_read.load() - before, kStartupSamples);  // a fresh start-up test
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kHealthy);
  EXPECT_EQ(status.resets, 2U);
  EXPECT_EQ(status.consecutive_failures, 0U);
  std::array<std::uint8_t, 8> out{};
  EXPECT_TRUE(source->Read(out));
  // Resetting a healthy source changes nothing.
  ASSERT_TRUE(source->Reset());
  EXPECT_EQ(source->Status().resets, 2U);
}

TEST_F(MonitoredSourceTest, ResetRetriesAQuarantinedSourceNow) {
  control_->mode = FakeMode::kBursts;
  auto source = Make();
  ASSERT_FALSE(source->Start());
  control_->mode = FakeMode::kGood;
  ASSERT_TRUE(source->Reset());  // no back-off wait
  EXPECT_EQ(source->Status().state, SourceState::kHealthy);
}

TEST_F(MonitoredSourceTest, StuckOutputDuringServiceDisablesAndIsWiped) {
  auto source = Make();
  ASSERT_TRUE(source->Start());
  control_->mode = FakeMode::kZeros;
  std::array<std::uint8_t, 64> out{};
  out.fill(0xEE);
  auto r = source->Read(out);
  ASSERT_FALSE(r);
  EXPECT_TRUE(AllZero(out));
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kDisabled);
  EXPECT_EQ(status.rct_failures, 1U);
  EXPECT_EQ(status.bytes_delivered, 0U);
}

TEST_F(MonitoredSourceTest, RctGlitchDuringServiceQuarantinesAndIsWiped) {
  auto source = Make();
  ASSERT_TRUE(source->Start());
  control_->mode = FakeMode::kBursts;
  control_->stuck_value = 0;
  std::array<std::uint8_t, 64> out{};
  out.fill(0xEE);
  auto r = source->Read(out);
  ASSERT_FALSE(r);
  EXPECT_TRUE(AllZero(out));
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kQuarantined);
  EXPECT_EQ(status.rct_failures, 1U);
  EXPECT_EQ(status.apt_failures, 0U);
  EXPECT_EQ(status.bytes_delivered, 0U);
}

TEST_F(MonitoredSourceTest, AptTripsOnBiasedOutput) {
  control_->mode = FakeMode::kBiased;
  auto source = Make();
  auto r = source->Start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("adaptive proportion"), std::string::npos);
  // A quarter zeros is far past both APT cutoffs at H = 8 (16 and the permanent one).
  EXPECT_EQ(source->Status().state, SourceState::kDisabled);
  EXPECT_EQ(source->Status().startup_failures, 1U);
}

TEST_F(MonitoredSourceTest, ReadErrorMakesSourceUnavailable) {
  auto source = Make();
  ASSERT_TRUE(source->Start());
  control_->fail_reads = 1;
  std::array<std::uint8_t, 8> out{};
  auto r = source->Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kUnavailable);
  EXPECT_NE(status.last_failure.find("fake read error"), std::string::npos);
}

TEST_F(MonitoredSourceTest, RefusesDuringBackoffWithoutTouchingTheSource) {
  control_->mode = FakeMode::kBursts;
  auto source = Make();
  ASSERT_FALSE(source->Start());
  control_->mode = FakeMode::kGood;  // healthy again, but the back-off has not expired
  const auto reads = control_->reads.load();
  clock_.Advance(milliseconds(999));
  std::array<std::uint8_t, 8> out{};
  auto r = source->Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("retry in 1 ms"), std::string::npos) << r.error().message;
  EXPECT_EQ(control_->reads.load(), reads);
  EXPECT_EQ(source->Status().state, SourceState::kQuarantined);
}

TEST_F(MonitoredSourceTest, RecoversAfterBackoffByRerunningTheStartupTest) {
  control_->mode = FakeMode::kBursts;
  auto source = Make();
  ASSERT_FALSE(source->Start());
  control_->mode = FakeMode::kGood;
  clock_.Advance(seconds(1));
  const auto before = control_->bytes_read.load();
  std::array<std::uint8_t, 8> out{};
  ASSERT_TRUE(source->Read(out));
  EXPECT_EQ(control_->bytes_read.load() - before, kStartupSamples + out.size());
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.state, SourceState::kHealthy);
  EXPECT_EQ(status.consecutive_failures, 0U);
  EXPECT_EQ(status.failures, 1U);  // history is kept
}

TEST_F(MonitoredSourceTest, BackoffDoublesUpToFiveMinutes) {
  control_->mode = FakeMode::kError;
  auto source = Make();
  ASSERT_FALSE(source->Start());
  // After failure n the delay is min(2^(n-1) s, 300 s). Check each delay is exactly honoured.
  const std::vector<long> expected_s = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
  for (std::size_t i = 0; i < expected_s.size(); ++i) {
    const auto reads = control_->reads.load();
    clock_.Advance(seconds(expected_s[i]) - milliseconds(1));
    EXPECT_FALSE(source->Start());
    EXPECT_EQ(control_->reads.load(), reads) << "retried early after failure " << i + 1;
    clock_.Advance(milliseconds(1));
    EXPECT_FALSE(source->Start());
    EXPECT_EQ(control_->reads.load(), reads + 1) << "no retry after failure " << i + 1;
  }
  EXPECT_EQ(source->Status().consecutive_failures, expected_s.size() + 1);
  EXPECT_EQ(source->Status().failures, expected_s.size() + 1);
}

TEST_F(MonitoredSourceTest, FailThenRecoverResetsTheBackoff) {
  auto source = Make();
  ASSERT_TRUE(source->Start());
  control_->fail_reads = 3;
  std::array<std::uint8_t, 8> out{};
  ASSERT_FALSE(source->Read(out));  // failure 1: 1 s
  clock_.Advance(seconds(1));
  ASSERT_FALSE(source->Read(out));  // failure 2: 2 s
  clock_.Advance(seconds(2));
  ASSERT_FALSE(source->Read(out));  // failure 3: 4 s
  clock_.Advance(seconds(4));
  ASSERT_TRUE(source->Read(out));
  // A new failure starts again at 1 s.
  control_->fail_reads = 1;
  ASSERT_FALSE(source->Read(out));
  clock_.Advance(seconds(1));
  EXPECT_TRUE(source->Read(out));
}

TEST_F(MonitoredSourceTest, MeasuresReadRate) {
  control_->clock = &clock_;
  control_->per_byte = std::chrono::microseconds(1);  // 1 MB/s
  auto source = Make();
  std::array<std::uint8_t, 256> out{};
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(source->Read(out));
  EXPECT_NEAR(source->Status().read_rate_bytes_per_second, 1e6, 1.0);
}

TEST_F(MonitoredSourceTest, StatusReportsIdentity) {
  auto source = Make(4.0);
  const SourceStatus status = source->Status();
  EXPECT_EQ(status.name, "fake");
  EXPECT_EQ(status.kind, SourceKind::kHardware);
  EXPECT_DOUBLE_EQ(status.min_entropy_per_byte, 4.0);
  EXPECT_EQ(SourceStateName(status.state), "starting");
  EXPECT_EQ(source->Name(), "fake");
}

TEST_F(MonitoredSourceTest, RejectsBadSources) {
  EXPECT_THROW(MonitoredSource(nullptr, clock_), std::invalid_argument);
  EXPECT_THROW(
      MonitoredSource(std::make_unique<FakeSource>("x", SourceKind::kHardware, 0.0), clock_),
      std::invalid_argument);
  EXPECT_THROW(
      MonitoredSource(std::make_unique<FakeSource>("x", SourceKind::kHardware, 9.0), clock_),
      std::invalid_argument);
}

TEST_F(MonitoredSourceTest, ConcurrentReadersAreSerialised) {
  auto source = Make();
  constexpr int kThreads = 4;
  constexpr int kReads = 200;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&source] {
      std::array<std::uint8_t, 16> out{};
      for (int i = 0; i < kReads; ++i) {
        EXPECT_TRUE(source->Read(out));
        (void)source->Status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(source->Status().bytes_delivered, std::uint64_t{kThreads} * kReads * 16);
  EXPECT_EQ(control_->bytes_read.load(), kStartupSamples + std::uint64_t{kThreads} * kReads * 16);
}

}  // namespace
}  // namespace seedwell

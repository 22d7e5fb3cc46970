#include "crypto/conditioner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "crypto/cpu_rng_source.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/fake_source.h"

namespace seedwell {
namespace {

using testing::FakeClock;
using testing::FakeMode;
using testing::FakeSource;
using testing::FakeSourceControl;
using Seed = std::array<std::uint8_t, kSeedBytes>;

bool AllZero(const Seed& s) {
  return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
}

class ConditionerTest : public ::testing::Test {
 protected:
  // Add appends a fake source and returns its control.
  std::shared_ptr<FakeSourceControl> Add(const std::string& name, SourceKind kind, double h,
                                         std::uint64_t seed = 1) {
    auto control = std::make_shared<FakeSourceControl>();
    sources_.push_back(std::make_unique<MonitoredSource>(
        std::make_unique<FakeSource>(name, kind, h, control, seed), clock_));
    return control;
  }

  std::unique_ptr<Conditioner> Build(SeedingPolicy policy = {}) {
    auto created = Conditioner::Create(std::move(sources_), clock_, std::move(policy));
    sources_.clear();
    EXPECT_TRUE(created) << created.error().message;
    return created ? std::move(*created) : nullptr;
  }

  FakeClock clock_;
  std::vector<std::unique_ptr<MonitoredSource>> sources_;
};

TEST_F(ConditionerTest, DrawBytesCarry256BitsPerSource) {
  EXPECT_EQ(Conditioner::DrawBytes(8.0), 32U);
  EXPECT_EQ(Conditioner::DrawBytes(4.0), 64U);
  EXPECT_EQ(Conditioner::DrawBytes(2.0), 128U);
  EXPECT_EQ(Conditioner::DrawBytes(3.0), 86U);  // ceil(85.33)
  EXPECT_EQ(Conditioner::DrawBytes(0.1), Conditioner::kMaxDrawBytes);
}

TEST_F(ConditionerTest, DrawsFromEverySourceAndSeedsDifferEveryCall) {
  auto hw = Add("hw", SourceKind::kHardware, 2.0);
  auto kernel = Add("kernel", SourceKind::kKernel, 8.0, 2);
  auto conditioner = Build();
  std::set<Seed> seen;
  for (int i = 0; i < 50; ++i) {
    Seed seed{};
    ASSERT_TRUE(conditioner->GatherSeed(seed));
    EXPECT_FALSE(AllZero(seed));
    seen.insert(seed);
  }
  EXPECT_EQ(seen.size(), 50U);
  EXPECT_EQ(hw->bytes_read.load(), kStartupSamples + 50 * 128);
  EXPECT_EQ(kernel->bytes_read.load(), kStartupSamples + 50 * 32);
}

TEST_F(ConditionerTest, UpstreamAloneSeedsOnlyWhenAllowed) {
  // By default an upstream is trusted like the kernel: alone it could never seed, so Create
  // refuses the configuration rather than fail every seed.
  Add("upstream-egd", SourceKind::kUpstream, 4.0);
  auto refused = Conditioner::Create(std::move(sources_), clock_);
  sources_.clear();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("--allow-upstream-only"), std::string::npos);
  Seed seed{};
  Add("upstream-egd", SourceKind::kUpstream, 4.0);
  SeedingPolicy policy;
  policy.allow_upstream_only = true;
  auto allowed = Build(policy);
  EXPECT_TRUE(allowed->GatherSeed(seed));
  EXPECT_FALSE(AllZero(seed));
}

TEST_F(ConditionerTest, SeedsDifferEvenIfSourcesRepeatThemselves) {
  // Two conditioners over identical fake streams and one clock: the counter still separates seeds.
  Add("hw", SourceKind::kHardware, 8.0);
  auto conditioner = Build();
  Seed a{};
  Seed b{};
  ASSERT_TRUE(conditioner->GatherSeed(a));
  Add("hw", SourceKind::kHardware, 8.0);
  auto twin = Build();
  ASSERT_TRUE(twin->GatherSeed(b));
  EXPECT_EQ(a, b);  // same inputs, same seed: the construction is deterministic
  ASSERT_TRUE(twin->GatherSeed(b));
  EXPECT_NE(a, b);
}

TEST_F(ConditionerTest, UnhealthySourceIsSkippedNotMixedIn) {
  // Reference: only the good source.
  Add("good", SourceKind::kHardware, 8.0);
  auto alone = Build();
  Seed expected{};
  ASSERT_TRUE(alone->GatherSeed(expected));

  // The same good source next to a stuck one gives the very same seed.
  Add("good", SourceKind::kHardware, 8.0);
  auto bad = Add("stuck", SourceKind::kHardware, 8.0);
  bad->mode = FakeMode::kStuck;
  auto conditioner = Build();
  Seed seed{};
  ASSERT_TRUE(conditioner->GatherSeed(seed));
  EXPECT_EQ(seed, expected);
  const auto statuses = conditioner->Statuses();
  ASSERT_EQ(statuses.size(), 2U);
  EXPECT_EQ(statuses[0].state, SourceState::kHealthy);
  EXPECT_EQ(statuses[1].name, "stuck");
  EXPECT_EQ(statuses[1].state, SourceState::kDisabled);  // stuck: a permanent failure
}

TEST_F(ConditionerTest, FailsClosedWithoutHardwareAndResumesAfterRecovery) {
  auto hw = Add("hw", SourceKind::kHardware, 8.0);
  Add("kernel", SourceKind::kKernel, 8.0, 2);
  auto conditioner = Build();
  Seed seed{};
  ASSERT_TRUE(conditioner->GatherSeed(seed));

  hw->mode = FakeMode::kBursts;  // an intermittent failure: quarantined, then retried
  seed.fill(0xEE);
  auto r = conditioner->GatherSeed(seed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("no healthy hardware source"), std::string::npos);
  EXPECT_NE(r.error().message.find("hw: repetition count"), std::string::npos) << r.error().message;
  EXPECT_TRUE(AllZero(seed));

  hw->mode = FakeMode::kGood;
  EXPECT_FALSE(conditioner->GatherSeed(seed));  // still in back-off
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(conditioner->GatherSeed(seed));
  EXPECT_FALSE(AllZero(seed));
}

TEST_F(ConditionerTest, KernelOnlyIsAnExplicitOptIn) {
  Add("kernel", SourceKind::kKernel, 8.0);
  auto strict = Conditioner::Create(std::move(sources_), clock_);
  sources_.clear();
  ASSERT_FALSE(strict);  // it could never seed: refused at start, not 503 forever
  EXPECT_EQ(strict.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(strict.error().message.find("--allow-kernel-only"), std::string::npos);
  Seed seed{};

  Add("kernel", SourceKind::kKernel, 8.0);
  SeedingPolicy policy;
  policy.allow_kernel_only = true;
  auto relaxed = Build(policy);
  EXPECT_TRUE(relaxed->GatherSeed(seed));
}

TEST_F(ConditionerTest, HardwareNextToTheKernelIsAcceptedEvenIfItFailsLater) {
  auto hw = Add("hw", SourceKind::kHardware, 8.0);
  Add("kernel", SourceKind::kKernel, 8.0, 2);
  hw->mode = FakeMode::kError;  // absent now: a run-time failure, not a configuration error
  auto conditioner = Build();
  Seed seed{};
  EXPECT_FALSE(conditioner->GatherSeed(seed));
}

TEST(CheckPolicyReachableTest, NeedsAHardwareSourceOrAnOptIn) {
  SeedingPolicy strict;
  SeedingPolicy kernel_ok;
  kernel_ok.allow_kernel_only = true;
  SeedingPolicy upstream_ok;
  upstream_ok.allow_upstream_only = true;
  using K = SourceKind;
  const std::vector<K> none;
  const std::vector<K> kernel = {K::kKernel};
  const std::vector<K> upstream = {K::kUpstream};
  const std::vector<K> both = {K::kKernel, K::kUpstream};
  const std::vector<K> hardware = {K::kKernel, K::kHardware};
  EXPECT_FALSE(CheckPolicyReachable(none, kernel_ok));
  EXPECT_FALSE(CheckPolicyReachable(kernel, strict));
  EXPECT_FALSE(CheckPolicyReachable(kernel, upstream_ok));
  EXPECT_FALSE(CheckPolicyReachable(upstream, kernel_ok));
  EXPECT_FALSE(CheckPolicyReachable(both, strict));
  EXPECT_TRUE(CheckPolicyReachable(kernel, kernel_ok));
  EXPECT_TRUE(CheckPolicyReachable(upstream, upstream_ok));
  EXPECT_TRUE(CheckPolicyReachable(both, upstream_ok));
  EXPECT_TRUE(CheckPolicyReachable(hardware, strict));
  auto r = CheckPolicyReachable(both, strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--allow-kernel-only"), std::string::npos);
  EXPECT_NE(r.error().message.find("--allow-upstream-only"), std::string::npos);
}

TEST_F(ConditionerTest, ResetSourceReenablesADisabledSource) {
  auto hw = Add("hw", SourceKind::kHardware, 8.0);
  auto conditioner = Build();
  Seed seed{};
  ASSERT_TRUE(conditioner->GatherSeed(seed));
  hw->mode = FakeMode::kStuck;
  EXPECT_FALSE(conditioner->GatherSeed(seed));
  EXPECT_EQ(conditioner->Statuses()[0].state, SourceState::kDisabled);
  hw->mode = FakeMode::kGood;
  clock_.Advance(std::chrono::hours(24));
  EXPECT_FALSE(conditioner->GatherSeed(seed));  // disabled: time alone does not bring it back

  auto unknown = conditioner->ResetSource("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto reset = conditioner->ResetSource("hw");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->state, SourceState::kHealthy);
  EXPECT_EQ(reset->resets, 1U);
  EXPECT_TRUE(conditioner->GatherSeed(seed));
}

TEST_F(ConditionerTest, RequiredSourcesMustContribute) {
  auto hwrng = Add("hwrng", SourceKind::kHardware, 2.0);
  Add("rdrand", SourceKind::kHardware, 2.0, 3);
  SeedingPolicy policy;
  policy.required_sources = {"hwrng"};
  auto conditioner = Build(policy);
  Seed seed{};
  ASSERT_TRUE(conditioner->GatherSeed(seed));
  hwrng->mode = FakeMode::kError;
  auto r = conditioner->GatherSeed(seed);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no healthy required source"), std::string::npos);
}

TEST_F(ConditionerTest, CreateRejectsBadConfigurations) {
  EXPECT_EQ(Conditioner::Create({}, clock_).error().code, ErrorCode::kInvalidArgument);

  Add("a", SourceKind::kHardware, 8.0);
  Add("a", SourceKind::kKernel, 8.0);
  auto dup = Conditioner::Create(std::move(sources_), clock_);
  sources_.clear();
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);

  Add("a", SourceKind::kHardware, 8.0);
  SeedingPolicy policy;
  policy.required_sources = {"hwrng"};
  auto missing = Conditioner::Create(std::move(sources_), clock_, policy);
  sources_.clear();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("hwrng"), std::string::npos);
}

TEST_F(ConditionerTest, ConcurrentCallersGetDistinctSeeds) {
  Add("hw", SourceKind::kHardware, 8.0);
  auto conditioner = Build();
  constexpr int kThreads = 4;
  constexpr int kSeeds = 50;
  std::vector<std::vector<Seed>> results(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSeeds; ++i) {
        Seed seed{};
        EXPECT_TRUE(conditioner->GatherSeed(seed));
        results[t].push_back(seed);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<Seed> all;
  for (const auto& r : results) all.insert(r.begin(), r.end());
  EXPECT_EQ(all.size(), std::size_t{kThreads} * kSeeds);
}

TEST(DetectSourcesTest, FindsWhatThisMachineHas) {
  SourceOptions options;
  options.rdseed = true;
  options.rdrand = true;
  options.hwrng = true;
  options.hwrng_path = "/nonexistent/seedwell-hwrng";  // skipped cleanly
  options.kernel = true;
  FakeClock clock;
  auto sources = DetectSources(options, clock);
  std::vector<std::string> names;
  for (const auto& s : sources) names.emplace_back(s->Name());
  std::vector<std::string> expected;
  if (CpuHasRdseed()) expected.emplace_back("rdseed");
  if (CpuHasRdrand()) expected.emplace_back("rdrand");
  expected.emplace_back("kernel");
  EXPECT_EQ(names, expected);
  for (const auto& s : sources) EXPECT_EQ(s->Status().state, SourceState::kHealthy) << s->Name();

  // The detected sources seed a conditioner under the default policy iff there is hardware.
  const bool has_hardware = CpuHasRdseed() || CpuHasRdrand();
  auto conditioner = Conditioner::Create(std::move(sources), clock);
  ASSERT_TRUE(conditioner);
  Seed seed{};
  EXPECT_EQ(static_cast<bool>((*conditioner)->GatherSeed(seed)), has_hardware);
}

TEST(DetectSourcesTest, HonoursDisabledSources) {
  SourceOptions options;
  options.rdseed = false;
  options.rdrand = false;
  options.hwrng = false;
  options.kernel = false;
  FakeClock clock;
  EXPECT_TRUE(DetectSources(options, clock).empty());
  options.kernel = true;
  auto sources = DetectSources(options, clock);
  ASSERT_EQ(sources.size(), 1U);
  EXPECT_EQ(sources[0]->Name(), "kernel");
  EXPECT_EQ(sources[0]->Kind(), SourceKind::kKernel);
}

}  // namespace
}  // namespace seedwell

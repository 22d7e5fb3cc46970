#include "crypto/drbg.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include "tests/testutil/fake_clock.h"

namespace seedwell {
namespace {

using std::chrono::seconds;
using Block = std::array<std::uint8_t, 32>;

// CountingSeedProvider hands out deterministic seeds (byte i of seed n is n + i) and counts
// calls; it fails with kUnavailable while |failing| is set.
class CountingSeedProvider final : public SeedProvider {
 public:
  Result<void> GatherSeed(std::span<std::uint8_t, kSeedBytes> seed) override {
    calls.fetch_add(1);
    if (failing.load()) {
      std::fill(seed.begin(), seed.end(), 0);
      return Fail(ErrorCode::kUnavailable, "no healthy source");
    }
    const std::uint64_t n = served.fetch_add(1) + 1;
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(n + i);
    return {};
  }
  std::atomic<int> calls{0};
  std::atomic<std::uint64_t> served{0};
  std::atomic<bool> failing{false};
};

Block Draw(Drbg& drbg) {
  Block out{};
  EXPECT_TRUE(drbg.Generate(out).has_value());
  return out;
}

bool AllZero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

class DrbgTest : public ::testing::Test {
 protected:
  CountingSeedProvider seeds_;
  testing::FakeClock clock_;
};

// ---------------------------------------------------------------------------------------------
// Seeding and basic output
// ---------------------------------------------------------------------------------------------

TEST_F(DrbgTest, UnseededWithFailingSourceRefusesAndZeroesOutput) {
  seeds_.failing = true;
  Drbg drbg(seeds_, clock_);
  EXPECT_FALSE(drbg.Ready());
  const Result<void> seeded = drbg.Seed();
  ASSERT_FALSE(seeded.has_value());
  EXPECT_EQ(seeded.error().code, ErrorCode::kUnavailable);
  std::array<std::uint8_t, 48> out{};
  out.fill(0xAA);
  const Result<void> r = drbg.Generate(out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(AllZero(out));
  EXPECT_FALSE(drbg.Stats().ready);
  EXPECT_GE(drbg.Stats().reseed_failures, 1u);
}

TEST_F(DrbgTest, SeededProducesDistinctNonZeroOutput) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  EXPECT_TRUE(drbg.Ready());
  const Block a = Draw(drbg);
  const Block b = Draw(drbg);
  EXPECT_FALSE(AllZero(a));
  EXPECT_NE(a, b);
  const DrbgStats stats = drbg.Stats();
  EXPECT_EQ(stats.reseeds, 1u);
  EXPECT_EQ(stats.generation, 1u);
  EXPECT_EQ(stats.last_reseed, clock_.Now());
  EXPECT_TRUE(stats.ready);
}

TEST_F(DrbgTest, GenerateSeedsLazilyWhenASeedIsAvailable) {
  Drbg drbg(seeds_, clock_);
  Block out{};
  EXPECT_TRUE(drbg.Generate(out).has_value());
  EXPECT_EQ(seeds_.calls.load(), 1);
}

TEST_F(DrbgTest, EmptySpanIsANoOpWhenReadyAndRefusedWhenNot) {
  seeds_.failing = true;
  Drbg drbg(seeds_, clock_);
  EXPECT_EQ(drbg.Generate({}).error().code, ErrorCode::kUnavailable);
  seeds_.failing = false;
  ASSERT_TRUE(drbg.Seed().has_value());
  EXPECT_TRUE(drbg.Generate({}).has_value());
  EXPECT_EQ(drbg.Stats().bytes_generated, 0u);
}

TEST_F(DrbgTest, DeterministicUnderFixedSeeds) {
  CountingSeedProvider other_seeds;
  Drbg a(seeds_, clock_);
  Drbg b(other_seeds, clock_);
  ASSERT_TRUE(a.Seed().has_value());
  ASSERT_TRUE(b.Seed().has_value());
  for (std::size_t n : {1u, 64u, 1000u, 70000u, 5u}) {
    std::vector<std::uint8_t> out_a(n), out_b(n);
    ASSERT_TRUE(a.Generate(out_a).has_value());
    ASSERT_TRUE(b.Generate(out_b).has_value());
    ASSERT_EQ(out_a, out_b) << n;
  }
  // A different seed gives different output.
  other_seeds.served = 100;
  ASSERT_TRUE(b.Reseed().has_value());
  ASSERT_TRUE(a.Reseed().has_value());
  EXPECT_NE(Draw(a), Draw(b));
}

TEST_F(DrbgTest, LargeRequestsAreFilledAndCounted) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  std::vector<std::uint8_t> out((3u << 20) + 17);
  ASSERT_TRUE(drbg.Generate(out).has_value());
  // No 4 KiB stretch of zeros anywhere (chunk boundaries included).
  for (std::size_t at = 0; at + 4096 <= out.size(); at += 4096) {
    ASSERT_FALSE(AllZero(std::span(out).subspan(at, 4096))) << at;
  }
  EXPECT_GE(drbg.Stats().bytes_generated, (3u << 20));
}

// ---------------------------------------------------------------------------------------------
// Reseeding
// ---------------------------------------------------------------------------------------------

TEST_F(DrbgTest, ReseedsOnTimer) {
  Drbg drbg(seeds_, clock_, DrbgOptions{.reseed_interval = seconds(60)});
  ASSERT_TRUE(drbg.Seed().has_value());
  clock_.Advance(seconds(59));
  Draw(drbg);
  EXPECT_EQ(seeds_.calls.load(), 1);
  clock_.Advance(seconds(1));
  Draw(drbg);
  EXPECT_EQ(seeds_.calls.load(), 2);
  EXPECT_EQ(drbg.Stats().reseeds, 2u);
  EXPECT_EQ(drbg.Stats().generation, 2u);
  EXPECT_EQ(drbg.Stats().last_reseed, clock_.Now());
}

TEST_F(DrbgTest, ReseedsOnByteBudget) {
  Drbg drbg(seeds_, clock_, DrbgOptions{.reseed_bytes = 64 * 1024});
  ASSERT_TRUE(drbg.Seed().has_value());
  std::vector<std::uint8_t> out(16 * 1024);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(drbg.Generate(out).has_value());
  EXPECT_EQ(seeds_.calls.load(), 1);  // exactly at budget: due on the next call
  ASSERT_TRUE(drbg.Generate(out).has_value());
  EXPECT_EQ(seeds_.calls.load(), 2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(drbg.Generate(out).has_value());
  EXPECT_EQ(seeds_.calls.load(), 2);  // the budget restarted at the reseed
}

TEST_F(DrbgTest, MaybeReseedOnlyWhenDue) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  ASSERT_TRUE(drbg.MaybeReseed().has_value());
  EXPECT_EQ(seeds_.calls.load(), 1);
  clock_.Advance(seconds(60));
  ASSERT_TRUE(drbg.MaybeReseed().has_value());
  EXPECT_EQ(seeds_.calls.load(), 2);
  ASSERT_TRUE(drbg.MaybeReseed().has_value());
  EXPECT_EQ(seeds_.calls.load(), 2);
  ASSERT_TRUE(drbg.Reseed().has_value());  // Reseed is unconditional
  EXPECT_EQ(seeds_.calls.load(), 3);
}

TEST_F(DrbgTest, OtherThreadsPickUpANewGeneration) {
  // Two identically seeded Drbgs; only |a| is reseeded between the worker's two draws. If the
  // worker did not notice the new generation, its second draws from |a| and |b| would be equal.
  CountingSeedProvider other_seeds;
  Drbg a(seeds_, clock_);
  Drbg b(other_seeds, clock_);
  ASSERT_TRUE(a.Seed().has_value());
  ASSERT_TRUE(b.Seed().has_value());
  std::promise<void> first_done, reseeded;
  std::array<Block, 4> draws{};
  std::thread worker([&] {
    draws[0] = Draw(a);
    draws[1] = Draw(b);
    first_done.set_value();
    reseeded.get_future().wait();
    draws[2] = Draw(a);
    draws[3] = Draw(b);
  });
  first_done.get_future().wait();
  ASSERT_TRUE(a.Reseed().has_value());
  reseeded.set_value();
  worker.join();
  EXPECT_EQ(draws[0], draws[1]);
  EXPECT_NE(draws[2], draws[3]);
  EXPECT_EQ(a.Stats().generation, 2u);
}

TEST_F(DrbgTest, ThreadsGetDistinctStreams) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  constexpr int kThreads = 4;
  std::array<Block, kThreads> draws{};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { draws[i] = Draw(drbg); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    for (int j = i + 1; j < kThreads; ++j) EXPECT_NE(draws[i], draws[j]);
  }
}

TEST_F(DrbgTest, InstancesInOneThreadAreIndependent) {
  CountingSeedProvider other_seeds;
  other_seeds.served = 50;
  Drbg a(seeds_, clock_);
  ASSERT_TRUE(a.Seed().has_value());
  const Block first = Draw(a);
  {
    Drbg b(other_seeds, clock_);
    ASSERT_TRUE(b.Seed().has_value());
    EXPECT_NE(Draw(b), first);
  }
  // A new instance after |b| is gone gets fresh per-thread state, not b's.
  Drbg c(other_seeds, clock_);
  ASSERT_TRUE(c.Seed().has_value());
  EXPECT_NE(Draw(c), Draw(a));
}

// ---------------------------------------------------------------------------------------------
// Failing closed and recovering
// ---------------------------------------------------------------------------------------------

TEST_F(DrbgTest, FailsClosedPastGraceAndRecovers) {
  Drbg drbg(seeds_, clock_,
            DrbgOptions{.reseed_interval = seconds(60), .fail_closed_grace = seconds(300)});
  ASSERT_TRUE(drbg.Seed().has_value());
  seeds_.failing = true;
  clock_.Advance(seconds(61));
  Block out{};
  EXPECT_TRUE(drbg.Generate(out).has_value());  // overdue but within grace
  EXPECT_EQ(drbg.Stats().reseed_failures, 1u);
  EXPECT_TRUE(drbg.Ready());

  clock_.Advance(seconds(299));  // 360 s after the last reseed: still at the limit
  EXPECT_TRUE(drbg.Generate(out).has_value());
  clock_.Advance(seconds(1));
  out.fill(0xAA);
  const Result<void> refused = drbg.Generate(out);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(AllZero(out));
  EXPECT_FALSE(drbg.Ready());
  EXPECT_FALSE(drbg.Stats().ready);

  seeds_.failing = false;
  const int calls = seeds_.calls.load();
  EXPECT_FALSE(drbg.Generate(out).has_value());  // the retry is rate-limited
  EXPECT_EQ(seeds_.calls.load(), calls);
  clock_.Advance(seconds(1));
  EXPECT_TRUE(drbg.Generate(out).has_value());  // recovers by itself
  EXPECT_TRUE(drbg.Ready());
  EXPECT_FALSE(AllZero(out));
}

TEST_F(DrbgTest, FailingReseedsAreRateLimited) {
  Drbg drbg(seeds_, clock_, DrbgOptions{.reseed_retry = seconds(1)});
  ASSERT_TRUE(drbg.Seed().has_value());
  seeds_.failing = true;
  clock_.Advance(seconds(60));
  for (int i = 0; i < 100; ++i) Draw(drbg);
  EXPECT_EQ(seeds_.calls.load(), 2);
  clock_.Advance(seconds(1));
  Draw(drbg);
  EXPECT_EQ(seeds_.calls.load(), 3);
}

TEST_F(DrbgTest, MaybeReseedRecoversWithoutWaitingForTheRetryGate) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  seeds_.failing = true;
  clock_.Advance(seconds(400));
  EXPECT_FALSE(drbg.MaybeReseed().has_value());
  EXPECT_FALSE(drbg.Ready());
  seeds_.failing = false;
  EXPECT_TRUE(drbg.MaybeReseed().has_value());
  EXPECT_TRUE(drbg.Ready());
  Draw(drbg);
}

// ---------------------------------------------------------------------------------------------
// Fork safety
// ---------------------------------------------------------------------------------------------

// ReadAll reads exactly |out| from |fd|; false on a short read.
bool ReadAll(int fd, std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const ssize_t n = read(fd, out.data(), out.size());
    if (n <= 0) return false;
    out = out.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

// ChildDraw is run in a forked child: it draws 32 bytes and writes them to |fd|, then exits.
[[noreturn]] void ChildDraw(Drbg& drbg, int fd) {
  Block out{};
  const bool ok = drbg.Generate(out).has_value() &&
                  write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size());
  _exit(ok ? 0 : 1);
}

bool Reap(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(DrbgTest, ForkedChildNeverRepeatsParentOutput) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  Draw(drbg);  // the parent thread's generator exists before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ChildDraw(drbg, fds[1]);
  close(fds[1]);
  const Block parent = Draw(drbg);
  Block child{};
  ASSERT_TRUE(ReadAll(fds[0], child));
  close(fds[0]);
  ASSERT_TRUE(Reap(pid));
  EXPECT_NE(parent, child);
  EXPECT_EQ(drbg.Stats().generation, 1u);  // the parent did not rekey
}

TEST_F(DrbgTest, GrandchildChildAndParentAllDiffer) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  Draw(drbg);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: fork a grandchild first, so both start from the child's state.
    const pid_t grandchild = fork();
    if (grandchild < 0) _exit(1);
    if (grandchild == 0) ChildDraw(drbg, fds[1]);
    // Reaping the grandchild before writing keeps the two 32-byte writes ordered on the pipe.
    if (!Reap(grandchild)) _exit(1);
    Block own{};
    if (!drbg.Generate(own).has_value()) _exit(1);
    _exit(write(fds[1], own.data(), own.size()) == static_cast<ssize_t>(own.size()) ? 0 : 1);
  }
  close(fds[1]);
  const Block parent = Draw(drbg);
  Block grandchild{}, child{};
  ASSERT_TRUE(ReadAll(fds[0], grandchild));
  ASSERT_TRUE(ReadAll(fds[0], child));
  close(fds[0]);
  ASSERT_TRUE(Reap(pid));
  EXPECT_NE(parent, child);
  EXPECT_NE(parent, grandchild);
  EXPECT_NE(child, grandchild);
}

TEST_F(DrbgTest, ChildForkedFromAWorkerThreadDiffers) {
  Drbg drbg(seeds_, clock_);
  ASSERT_TRUE(drbg.Seed().has_value());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Block parent{};
  pid_t pid = -1;
  std::thread worker([&] {
    Draw(drbg);  // this thread's generator exists before the fork
    pid = fork();
    if (pid == 0) ChildDraw(drbg, fds[1]);
    parent = Draw(drbg);
  });
  worker.join();
  ASSERT_GE(pid, 0);
  close(fds[1]);
  Block child{};
  ASSERT_TRUE(ReadAll(fds[0], child));
  close(fds[0]);
  ASSERT_TRUE(Reap(pid));
  EXPECT_NE(parent, child);
}

}  // namespace
}  // namespace seedwell

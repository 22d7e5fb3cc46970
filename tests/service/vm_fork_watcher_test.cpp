// VmForkWatcher with injected events: a socketpair stands in for the netlink uevent socket; each
// NEW_VMGENID message makes the DRBG reseed from its sources and bump its generation before the
// next output, and other uevents change nothing.
#include "service/vm_fork_watcher.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "crypto/clock.h"

namespace seedwell {
namespace {

using namespace std::string_literals;

class CountingSeeds final : public SeedProvider {
 public:
  Result<void> GatherSeed(std::span<std::uint8_t, kSeedBytes> seed) override {
    const int n = ++calls;
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(n * 7 + i);
    return {};
  }
  std::atomic<int> calls{0};
};

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 300 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

TEST(VmForkWatcherTest, AGenerationChangeReseedsTheDrbg) {
  CountingSeeds seeds;
  Drbg drbg(seeds, SteadyClock::Instance());
  ASSERT_TRUE(drbg.Seed());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
  std::atomic<int> reports{0};
  auto watcher =
      VmForkWatcher::Start(UeventListener::FromFd(fds[0]), drbg, [&reports](const Result<void>& r) {
        EXPECT_TRUE(r);
        ++reports;
      });
  const DrbgStats before = drbg.Stats();

  const std::string other = "add@/devices/x\0ACTION=add\0"s;
  ASSERT_GT(::send(fds[1], other.data(), other.size(), 0), 0);
  const std::string event = "change@/devices/QEMUVGID:00\0ACTION=change\0NEW_VMGENID=1\0"s;
  ASSERT_GT(::send(fds[1], event.data(), event.size(), 0), 0);
  ASSERT_TRUE(WaitUntil([&] { return reports.load() == 1; }));
  EXPECT_EQ(watcher->events(), 1u);
  const DrbgStats after = drbg.Stats();
  EXPECT_EQ(after.reseeds, before.reseeds + 1);
  EXPECT_GT(after.generation, before.generation);
  EXPECT_EQ(seeds.calls.load(), 2);  // the first seed and the one after the event
  EXPECT_TRUE(drbg.Ready());

  ASSERT_GT(::send(fds[1], event.data(), event.size(), 0), 0);
  ASSERT_TRUE(WaitUntil([&] { return reports.load() == 2; }));
  watcher.reset();  // stops and joins within a poll slice
  ::close(fds[1]);
}

}  // namespace
}  // namespace seedwell

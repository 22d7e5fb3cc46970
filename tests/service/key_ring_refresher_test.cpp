#include "service/key_ring_refresher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using namespace std::chrono_literals;

// WaitForActive waits up to |timeout| for |ring| to sign with |kid|.
bool WaitForActive(const KeyRing& ring, const std::string& kid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ring.ActiveKey()->kid() != kid) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(KeyRingRefresherTest, PollingPicksUpAnotherWritersRotation) {
  const testing::TempDir dir;
  auto writer = KeyRing::Open(dir.path()).value();
  auto reader = KeyRing::Open(dir.path()).value();
  const KeyRingRefresher refresher(*reader, 100ms);
  const std::string kid = writer->Rotate().value();
  EXPECT_TRUE(WaitForActive(*reader, kid, 2s));
}

TEST(KeyRingRefresherTest, APokeReloadsBeforeTheInterval) {
  const testing::TempDir dir;
  auto writer = KeyRing::Open(dir.path()).value();
  auto reader = KeyRing::Open(dir.path()).value();
  KeyRingRefresher refresher(*reader, 60s);
  const std::string kid = writer->Rotate().value();
  std::this_thread::sleep_for(50ms);
  EXPECT_NE(reader->ActiveKey()->kid(), kid);  // no poll within a minute
  refresher.Poke();
  EXPECT_TRUE(WaitForActive(*reader, kid, 2s));
}

}  // namespace
}  // namespace seedwell

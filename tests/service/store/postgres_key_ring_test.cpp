// PostgresKeyRing against a real server (tests/testutil/postgres_server.h): no private key in a
// dump of the database, one ring however many replicas start at once, a wrong key-encryption key
// or a tampered row refused, rotations through one replica reaching another through NOTIFY, and a
// key directory imported once.
#include "service/store/postgres_key_ring.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/key_directory.h"
#include "crypto/key_ring.h"
#include "service/key_ring_refresher.h"
#include "service/store/postgres_change_feed.h"
#include "tests/testutil/store_backends.h"

namespace seedwell {
namespace {

using namespace std::chrono_literals;

class PostgresKeyRingTest : public ::testing::Test {
 protected:
  // Replica opens the ring as a replica with |kek| would (a backend of its own).
  Result<std::unique_ptr<KeyRing>> Replica(const std::shared_ptr<const KeyEncryptionKey>& kek,
                                           const std::string& origin = "test") {
    return KeyRing::Open(std::make_unique<PostgresKeyRing>(backend_.Options(), kek, origin));
  }

  // Dump returns pg_dump's plain-text dump of the whole database.
  std::string Dump() {
    const std::string command = "pg_dump -h '" + testing::PostgresServer::Shared().dir() +
                                "' -U seedwell " + backend_.database() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0) << out;
    return out;
  }

  testing::PostgresBackend backend_;
  std::unique_ptr<PostgresStore> store_ = PostgresStore::Open(backend_.Options());  // migrates
  std::shared_ptr<const KeyEncryptionKey> kek_ =
      std::make_shared<const KeyEncryptionKey>(KeyEncryptionKey::Generate());
};

bool Holds(const std::string& haystack, std::span<const std::uint8_t> bytes) {
  const std::string raw(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return haystack.find(raw) != std::string::npos ||
         haystack.find(ToHex(bytes)) != std::string::npos ||
         haystack.find(ToBase64(bytes)) != std::string::npos;
}

TEST_F(PostgresKeyRingTest, ADumpOfTheDatabaseHoldsNoPrivateKey) {
  auto ring = Replica(kek_).value();
  std::vector<std::vector<std::uint8_t>> seeds;
  std::vector<Ed25519PublicKey> publics;
  for (int i = 0; i < 3; ++i) {
    const auto key = ring->ActiveKey();
    seeds.emplace_back(key->seed().begin(), key->seed().end());
    publics.push_back(key->public_key());
    ASSERT_TRUE(ring->Rotate().has_value());
  }
  const std::string dump = Dump();
  ASSERT_NE(dump.find("signing_keys"), std::string::npos);
  for (const auto& pub : publics) EXPECT_TRUE(Holds(dump, pub));  // the search can find keys
  for (const auto& seed : seeds) EXPECT_FALSE(Holds(dump, seed)) << "a seed is in the dump";
  EXPECT_FALSE(Holds(dump, kek_->bytes())) << "the key-encryption key is in the dump";
  EXPECT_EQ(backend_.Query("SELECT count(*) FROM signing_keys WHERE length(sealed_key) = 72"), "4");
}

TEST_F(PostgresKeyRingTest, ThreeReplicasStartingAtOnceCreateExactlyOneRing) {
  constexpr int kReplicas = 3;
  std::vector<std::unique_ptr<KeyRing>> rings(kReplicas);
  std::vector<std::string> errors(kReplicas);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kReplicas) std::this_thread::yield();  // start together
      auto ring = Replica(kek_, "r" + std::to_string(i));
      if (ring) {
        rings[i] = std::move(*ring);
      } else {
        errors[i] = ring.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kReplicas; ++i) ASSERT_EQ(errors[i], "") << "replica " << i;
  EXPECT_EQ(backend_.Query("SELECT count(*) FROM signing_keys"), "1");
  for (const auto& ring : rings) EXPECT_EQ(ring->ActiveKey()->kid(), rings[0]->ActiveKey()->kid());
}

TEST_F(PostgresKeyRingTest, AWrongKeyEncryptionKeyIsOneClearError) {
  ASSERT_TRUE(Replica(kek_).has_value());
  auto wrong = Replica(std::make_shared<const KeyEncryptionKey>(KeyEncryptionKey::Generate()));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(wrong.error().message.find("key-encryption key"), std::string::npos);
  EXPECT_EQ(backend_.Query("SELECT count(*) FROM signing_keys"), "1");  // nothing was added
}

TEST_F(PostgresKeyRingTest, ASealedKeyMovedToAnotherRowDoesNotOpen) {
  auto ring = Replica(kek_).value();
  ASSERT_TRUE(ring->Rotate().has_value());
  // Swap the two sealed seeds: each row now holds a valid ciphertext of the other key.
  backend_.Query(
      "UPDATE signing_keys s SET sealed_key = o.sealed_key FROM signing_keys o "
      "WHERE s.kid <> o.kid");
  auto reopened = Replica(kek_);
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(ring->Reload().has_value());  // a replica running keeps its ring
  EXPECT_TRUE(ring->ActiveKey() != nullptr);
}

TEST_F(PostgresKeyRingTest, ARotationReachesAnotherReplicaThroughNotify) {
  auto a = Replica(kek_, "a").value();
  auto b = Replica(kek_, "b").value();
  // Polling once a minute: only the notice can make b reload within the test.
  KeyRingRefresher refresher(*b, 60s);
  std::atomic<bool> listening{false};
  const auto feed = PostgresChangeFeed::Start(
      backend_.Options(), "b", [](const InstanceEvent&) {}, [&listening] { listening = true; },
      [&refresher] { refresher.Poke(); });
  for (int i = 0; i < 100 && !listening; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(listening);
  const std::string old_kid = a->ActiveKey()->kid();
  const auto start = std::chrono::steady_clock::now();
  const std::string kid = a->Rotate().value();
  while (b->ActiveKey()->kid() != kid && std::chrono::steady_clock::now() - start < 5s) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(b->ActiveKey()->kid(), kid);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(b->Find(old_kid).has_value());  // the old key still verifies
}

TEST_F(PostgresKeyRingTest, ConcurrentRotationsThroughTwoReplicasKeepOneActiveKey) {
  auto a = Replica(kek_, "a").value();
  auto b = Replica(kek_, "b").value();
  constexpr int kEach = 5;
  std::atomic<int> failures{0};
  std::thread ta([&] {
    for (int i = 0; i < kEach; ++i) failures += a->Rotate().has_value() ? 0 : 1;
  });
  std::thread tb([&] {
    for (int i = 0; i < kEach; ++i) failures += b->Rotate().has_value() ? 0 : 1;
  });
  ta.join();
  tb.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(backend_.Query("SELECT count(*) FROM signing_keys"), std::to_string(2 * kEach + 1));
  EXPECT_EQ(backend_.Query("SELECT count(*) FROM signing_keys WHERE state = 'active'"), "1");
  ASSERT_TRUE(a->Reload().has_value());
  ASSERT_TRUE(b->Reload().has_value());
  EXPECT_EQ(a->ActiveKey()->kid(), b->ActiveKey()->kid());
  EXPECT_EQ(a->PublicKeys().size(), static_cast<std::size_t>(2 * kEach + 1));
}

TEST_F(PostgresKeyRingTest, RetiringForgetsTheSealedSecret) {
  auto ring = Replica(kek_).value();
  const std::string first = ring->ActiveKey()->kid();
  ASSERT_TRUE(ring->Rotate().has_value());
  ASSERT_TRUE(ring->Retire(first).has_value());
  EXPECT_EQ(backend_.Query("SELECT state || ' ' || (sealed_key IS NULL) FROM signing_keys "
                           "WHERE kid = '" +
                           first + "'"),
            "retired true");
  auto reopened = Replica(kek_).value();
  EXPECT_EQ(reopened->Find(first).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(reopened->Retire(reopened->ActiveKey()->kid()).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_F(PostgresKeyRingTest, AKeyDirectoryIsImportedOnceOnly) {
  const testing::TempDir dir;
  auto files = KeyRing::Open(dir.path()).value();
  const std::string old_kid = files->ActiveKey()->kid();
  const std::string kid = files->Rotate().value();
  PostgresKeyRing backend(backend_.Options(), kek_, "import");
  EXPECT_EQ(backend.Import(KeyDirectory(dir.path()).Load().value()).value(), true);
  auto ring = Replica(kek_).value();
  EXPECT_EQ(ring->ActiveKey()->kid(), kid);
  EXPECT_TRUE(std::equal(ring->ActiveKey()->seed().begin(), ring->ActiveKey()->seed().end(),
                         files->ActiveKey()->seed().begin()));
  ASSERT_EQ(ring->PublicKeys().size(), 2U);
  EXPECT_EQ(ring->PublicKeys()[0].kid, old_kid);
  EXPECT_EQ(ring->PublicKeys()[0].state, KeyState::kVerifyOnly);
  // Another directory offered later changes nothing.
  const testing::TempDir other;
  (void)KeyRing::Open(other.path()).value();
  EXPECT_EQ(backend.Import(KeyDirectory(other.path()).Load().value()).value(), false);
  EXPECT_EQ(Replica(kek_).value()->ActiveKey()->kid(), kid);
}

}  // namespace
}  // namespace seedwell

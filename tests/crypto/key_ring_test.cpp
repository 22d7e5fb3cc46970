#include "crypto/key_ring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/signed_block.h"
#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

using ::seedwell::testing::TempDir;

// FixedClock is an injectable wall clock that advances only when told to.
struct FixedClock {
  std::shared_ptr<std::atomic<std::uint64_t>> ms =
      std::make_shared<std::atomic<std::uint64_t>>(1700000000000);
  KeyRing::UnixMillisFn Fn() const {
    return [ms = ms] { return ms->load(); };
  }
};

const std::uint8_t kData[] = {1, 2, 3, 4};

BlockFields Fields(const std::string& kid) {
  BlockFields f;
  f.instance_id = "vm-1";
  f.issued_at_unix_ms = 42;
  f.kid = kid;
  f.data = kData;
  return f;
}

// VerifyWithRing checks a block the way a verifier holding the ring would.
bool VerifyWithRing(const KeyRing& ring, const std::string& kid, const Ed25519Signature& sig) {
  auto pub = ring.Find(kid);
  return pub.has_value() && VerifyBlock(*pub, Fields(kid), sig).has_value();
}

TEST(KeyRingTest, OpenCreatesOneActiveKeyAndReopenKeepsIt) {
  const TempDir dir;
  const FixedClock clock;
  const auto path = dir.path() / "keys";
  std::string kid;
  {
    auto ring = KeyRing::Open(path, clock.Fn());
    ASSERT_TRUE(ring.has_value()) << ring.error().message;
    kid = (*ring)->ActiveKey()->kid();
    const auto keys = (*ring)->PublicKeys();
    ASSERT_EQ(keys.size(), 1U);
    EXPECT_EQ(keys[0].kid, kid);
    EXPECT_EQ(keys[0].alg, "Ed25519");
    EXPECT_EQ(keys[0].state, KeyState::kActive);
    EXPECT_EQ(keys[0].created_at_unix_ms, 1700000000000U);
    EXPECT_EQ(keys[0].public_key_base64.size(), 44U);
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  ASSERT_EQ(stat((path / (kid + ".key")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  auto again = KeyRing::Open(path, clock.Fn());
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ((*again)->ActiveKey()->kid(), kid);
}

TEST(KeyRingTest, RotationKeepsOldBlocksVerifiableAndRetirementRejectsThem) {
  const TempDir dir;
  FixedClock clock;
  auto ring = KeyRing::Open(dir.path(), clock.Fn()).value();
  const auto first = ring->ActiveKey();
  const Ed25519Signature old_sig = SignBlock(*first, Fields(first->kid())).value();

  clock.ms->store(1700000001000);
  auto rotated = ring->Rotate();
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message;
  const auto second = ring->ActiveKey();
  EXPECT_EQ(second->kid(), *rotated);
  EXPECT_NE(second->kid(), first->kid());
  // The key obtained before the rotation stays usable and its blocks still verify.
  EXPECT_TRUE(VerifyWithRing(*ring, first->kid(), old_sig));
  const Ed25519Signature new_sig = SignBlock(*second, Fields(second->kid())).value();
  EXPECT_TRUE(VerifyWithRing(*ring, second->kid(), new_sig));

  const auto keys = ring->PublicKeys();
  ASSERT_EQ(keys.size(), 2U);
  EXPECT_EQ(keys[0].state, KeyState::kVerifyOnly);
  EXPECT_EQ(keys[1].state, KeyState::kActive);
  EXPECT_EQ(keys[1].created_at_unix_ms, 1700000001000U);

  EXPECT_EQ(ring->Retire(second->kid()).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ring->Retire("sw1_00000000000000000000000000000000").error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(ring->Retire(first->kid()).has_value());
  EXPECT_TRUE(ring->Retire(first->kid()).has_value());  // idempotent
  EXPECT_FALSE(VerifyWithRing(*ring, first->kid(), old_sig));
  EXPECT_EQ(ring->Find(first->kid()).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ring->Find("sw1_nope").error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / (first->kid() + ".key")));

  // Restart keeps all three states.
  ring.reset();
  auto reopened = KeyRing::Open(dir.path(), clock.Fn()).value();
  EXPECT_EQ(reopened->ActiveKey()->kid(), second->kid());
  EXPECT_FALSE(VerifyWithRing(*reopened, first->kid(), old_sig));
  EXPECT_TRUE(VerifyWithRing(*reopened, second->kid(), new_sig));
  ASSERT_EQ(reopened->Rotate().has_value(), true);
  const auto keys_after = reopened->PublicKeys();
  ASSERT_EQ(keys_after.size(), 3U);
  EXPECT_EQ(keys_after[0].state, KeyState::kRetired);
  EXPECT_EQ(keys_after[1].state, KeyState::kVerifyOnly);
  EXPECT_EQ(keys_after[2].state, KeyState::kActive);
  EXPECT_TRUE(VerifyWithRing(*reopened, second->kid(), new_sig));
}

TEST(KeyRingTest, ConcurrentSigningDuringRotationAlwaysVerifies) {
  const TempDir dir;
  const FixedClock clock;
  auto ring = KeyRing::Open(dir.path(), clock.Fn()).value();
  constexpr int kThreads = 4;
  constexpr int kSignaturesPerThread = 300;
  constexpr int kRotations = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> signers;
  signers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    signers.emplace_back([&] {
      for (int i = 0; i < kSignaturesPerThread; ++i) {
        const auto key = ring->ActiveKey();
        auto sig = SignBlock(*key, Fields(key->kid()));
        if (!sig || !VerifyWithRing(*ring, key->kid(), *sig)) ++failures;
      }
    });
  }
  for (int r = 0; r < kRotations; ++r) {
    if (!ring->Rotate()) ++failures;
  }
  for (auto& t : signers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ring->PublicKeys().size(), static_cast<std::size_t>(kRotations + 1));
  auto reopened = KeyRing::Open(dir.path(), clock.Fn());
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->ActiveKey()->kid(), ring->ActiveKey()->kid());
}

TEST(KeyRingTest, RefusesKeyFilesWithoutIndex) {
  const TempDir dir;
  ASSERT_TRUE(SigningKey::Generate().Save(dir.path() / "stray.key").has_value());
  auto ring = KeyRing::Open(dir.path());
  ASSERT_FALSE(ring.has_value());
  EXPECT_EQ(ring.error().code, ErrorCode::kFailedPrecondition);
}

TEST(KeyRingTest, RefusesMalformedIndex) {
  const std::string bad_indexes[] = {
      "",
      "[]",
      "{\"format\": \"other\", \"keys\": []}",
      "{\"format\": \"seedwell-keyring-v1\", \"keys\": []}",  // no active key
      "{\"format\": \"seedwell-keyring-v1\", \"keys\": [{\"kid\": \"sw1_x\"}]}",
      "{\"format\": \"seedwell-keyring-v1\", \"keys\": [{\"kid\": \"../../etc/passwd\", "
      "\"public_key\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"state\": \"active\", "
      "\"created_at_unix_ms\": 1}]}",
  };
  for (const std::string& text : bad_indexes) {
    const TempDir dir;
    std::ofstream(dir.path() / "index.json") << text;
    auto ring = KeyRing::Open(dir.path());
    ASSERT_FALSE(ring.has_value()) << text;
    EXPECT_EQ(ring.error().code, ErrorCode::kInvalidArgument) << text;
  }
}

TEST(KeyRingTest, RefusesMissingOrUnsafeKeyFile) {
  const TempDir dir;
  std::string kid;
  {
    auto ring = KeyRing::Open(dir.path()).value();
    kid = ring->ActiveKey()->kid();
  }
  const auto key_path = dir.path() / (kid + ".key");
  ASSERT_EQ(chmod(key_path.c_str(), 0644), 0);
  EXPECT_EQ(KeyRing::Open(dir.path()).error().code, ErrorCode::kPermissionDenied);
  std::filesystem::remove(key_path);
  EXPECT_EQ(KeyRing::Open(dir.path()).error().code, ErrorCode::kNotFound);
}

TEST(KeyRingTest, ReloadPicksUpAnotherWritersRotationAndStaleRotateRetries) {
  const TempDir dir;
  const FixedClock clock;
  auto a = KeyRing::Open(dir.path(), clock.Fn()).value();
  auto b = KeyRing::Open(dir.path(), clock.Fn()).value();
  EXPECT_EQ(b->Reload().value(), false);  // nothing changed
  const std::string first = a->ActiveKey()->kid();
  const std::string second = a->Rotate().value();
  EXPECT_EQ(b->ActiveKey()->kid(), first);  // b has not looked yet
  EXPECT_EQ(b->Reload().value(), true);
  EXPECT_EQ(b->ActiveKey()->kid(), second);
  EXPECT_EQ(b->PublicKeys().size(), 2U);
  EXPECT_TRUE(b->Find(first).has_value());  // still verifies old blocks

  // a now holds a stale ring: its rotation notices, reloads and rotates the stored ring.
  const std::string third = b->Rotate().value();
  const std::string fourth = a->Rotate().value();
  EXPECT_EQ(b->Reload().value(), true);
  for (const auto* ring : {a.get(), b.get()}) {
    EXPECT_EQ(ring->ActiveKey()->kid(), fourth);
    const auto keys = ring->PublicKeys();
    ASSERT_EQ(keys.size(), 4U);
    EXPECT_EQ(keys[2].kid, third);
    EXPECT_EQ(keys[2].state, KeyState::kVerifyOnly);
    EXPECT_EQ(std::count_if(keys.begin(), keys.end(),
                            [](const PublicKeyInfo& k) { return k.state == KeyState::kActive; }),
              1);
  }
}

}  // namespace
}  // namespace seedwell

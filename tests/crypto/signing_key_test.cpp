#include "crypto/signing_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "crypto/encoding.h"
#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

using ::seedwell::testing::Hex;
using ::seedwell::testing::ReadVectorFile;
using ::seedwell::testing::TempDir;

SigningKey KeyFromHexSeed(const std::string& hex) {
  SecretArray<kEd25519SeedBytes> seed;
  EXPECT_TRUE(FromHexInto(hex, seed.span()).has_value());
  return SigningKey::FromSeed(seed.span());
}

void WriteText(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

TEST(SigningKeyTest, Rfc8032VectorsFromFile) {
  const auto records = ReadVectorFile("ed25519_rfc8032.txt");
  ASSERT_EQ(records.size(), 4U);
  for (const auto& r : records) {
    SCOPED_TRACE(r.at("name"));
    const SigningKey key = KeyFromHexSeed(r.at("secret_key"));
    EXPECT_EQ(ToHex(key.public_key()), r.at("public_key"));
    const auto message = Hex(r.at("message"));
    const Ed25519Signature sig = key.Sign(message);
    EXPECT_EQ(ToHex(sig), r.at("signature"));
    EXPECT_TRUE(VerifyEd25519(key.public_key(), message, sig));
    for (std::size_t bit = 0; bit < sig.size() * 8; bit += 37) {
      Ed25519Signature bad = sig;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
      EXPECT_FALSE(VerifyEd25519(key.public_key(), message, bad)) << "bit " << bit;
    }
    auto other_message = message;
    other_message.push_back(0);
    EXPECT_FALSE(VerifyEd25519(key.public_key(), other_message, sig));
  }
}

TEST(SigningKeyTest, KeyIdIsDerivedFromThePublicKey) {
  const SigningKey key =
      KeyFromHexSeed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  // sha256(d75a98...511a)[0:16], computed with Python's hashlib.
  EXPECT_EQ(key.kid(), "sw1_21fe31dfa154a261626bf854046fd227");
  const SigningKey a = SigningKey::Generate();
  const SigningKey b = SigningKey::Generate();
  EXPECT_NE(a.kid(), b.kid());
  EXPECT_EQ(a.kid().size(), 36U);
  EXPECT_EQ(a.kid(), KeyIdFor(a.public_key()));
}

TEST(SigningKeyTest, SaveLoadRoundTripWithMode0600) {
  const TempDir dir;
  const auto path = dir.path() / "k.key";
  const SigningKey key = SigningKey::Generate();
  ASSERT_TRUE(key.Save(path).has_value());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto loaded = SigningKey::Load(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->kid(), key.kid());
  EXPECT_EQ(loaded->public_key(), key.public_key());
  const std::uint8_t msg[] = {1, 2, 3};
  EXPECT_EQ(loaded->Sign(msg), key.Sign(msg));
  // Only the key file is left behind: no temporary files.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(SigningKeyTest, SaveReplacesAnExistingFile) {
  const TempDir dir;
  const auto path = dir.path() / "k.key";
  ASSERT_TRUE(SigningKey::Generate().Save(path).has_value());
  const SigningKey second = SigningKey::Generate();
  ASSERT_TRUE(second.Save(path).has_value());
  EXPECT_EQ(SigningKey::Load(path)->kid(), second.kid());
}

TEST(SigningKeyTest, LoadRefusesGroupOrWorldAccessibleFile) {
  const TempDir dir;
  const auto path = dir.path() / "k.key";
  ASSERT_TRUE(SigningKey::Generate().Save(path).has_value());
  for (const mode_t mode : {0644, 0640, 0604, 0620, 0602}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    auto loaded = SigningKey::Load(path);
    ASSERT_FALSE(loaded.has_value()) << std::oct << mode;
    EXPECT_EQ(loaded.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(loaded.error().message.find(path.string()), std::string::npos);
  }
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(SigningKey::Load(path).has_value());
}

TEST(SigningKeyTest, LoadRefusesSymlinkAndDirectory) {
  const TempDir dir;
  const auto path = dir.path() / "k.key";
  ASSERT_TRUE(SigningKey::Generate().Save(path).has_value());
  std::filesystem::create_symlink(path, dir.path() / "link.key");
  EXPECT_EQ(SigningKey::Load(dir.path() / "link.key").error().code, ErrorCode::kPermissionDenied);
  std::filesystem::create_directory(dir.path() / "d");
  ASSERT_EQ(chmod((dir.path() / "d").c_str(), 0700), 0);
  EXPECT_EQ(SigningKey::Load(dir.path() / "d").error().code, ErrorCode::kPermissionDenied);
}

TEST(SigningKeyTest, LoadMissingFileIsNotFound) {
  const TempDir dir;
  auto loaded = SigningKey::Load(dir.path() / "absent.key");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
  EXPECT_NE(loaded.error().message.find("absent.key"), std::string::npos);
}

TEST(SigningKeyTest, LoadRejectsMalformedFilesWithoutEchoingThem) {
  const TempDir dir;
  const auto path = dir.path() / "k.key";
  const std::string seed_b64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";  // RFC 8032 TEST 1
  WriteText(path, "seedwell-ed25519-seed-v1 " + seed_b64 + "\n", 0600);
  auto good = SigningKey::Load(path);
  ASSERT_TRUE(good.has_value()) << good.error().message;
  EXPECT_EQ(good->kid(), "sw1_21fe31dfa154a261626bf854046fd227");

  const std::string bad_files[] = {
      "",
      "seedwell-ed25519-seed-v1 " + seed_b64,                        // no newline
      "seedwell-ed25519-seed-v1 " + seed_b64 + "\n\n",               // trailing garbage
      "seedwell-ed25519-seed-v2 " + seed_b64 + "\n",                 // unknown version
      "seedwell-ed25519-seed-v1\t" + seed_b64 + "\n",                // wrong separator
      "seedwell-ed25519-seed-v1 " + seed_b64.substr(0, 43) + "*\n",  // bad base64
      "seedwell-ed25519-seed-v1 " + seed_b64.substr(0, 40) + "\n",   // short seed
      std::string(4096, 'A'),
  };
  for (const std::string& text : bad_files) {
    WriteText(path, text, 0600);
    auto loaded = SigningKey::Load(path);
    ASSERT_FALSE(loaded.has_value()) << text;
    EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(loaded.error().message.find(path.string()), std::string::npos);
    EXPECT_EQ(loaded.error().message.find(seed_b64.substr(0, 12)), std::string::npos);
  }
}

TEST(WriteFileAtomicallyTest, FailsCleanlyInAMissingDirectory) {
  const TempDir dir;
  const std::uint8_t bytes[] = {1};
  auto written = WriteFileAtomically(dir.path() / "no" / "such" / "file", bytes, 0600);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace seedwell

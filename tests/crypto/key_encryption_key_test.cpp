#include "crypto/key_encryption_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using ::seedwell::testing::TempDir;

std::string WriteKeyFile(const TempDir& dir, const std::string& bytes, mode_t mode) {
  const std::string path = dir.File("kek");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  chmod(path.c_str(), mode);
  return path;
}

std::string Bytes(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(0xA0 + i));
  return s;
}

TEST(KeyEncryptionKeyTest, LoadsExactly32RawBytes) {
  const TempDir dir;
  auto kek = KeyEncryptionKey::Load(WriteKeyFile(dir, Bytes(32), 0600));
  ASSERT_TRUE(kek.has_value()) << kek.error().message;
  EXPECT_EQ(kek->bytes()[0], 0xA0);
  EXPECT_EQ(kek->bytes()[31], 0xA0 + 31);
}

TEST(KeyEncryptionKeyTest, RefusesEveryOtherSizeAndSaysWhatItWants) {
  const TempDir dir;
  for (const std::size_t size : {0, 1, 31, 33, 44, 64}) {
    auto kek = KeyEncryptionKey::Load(WriteKeyFile(dir, Bytes(size), 0600));
    ASSERT_FALSE(kek.has_value()) << size;
    EXPECT_EQ(kek.error().code, ErrorCode::kInvalidArgument) << size;
    EXPECT_NE(kek.error().message.find("exactly 32 raw random bytes"), std::string::npos);
  }
  // A newline after the key is a common mistake; it is one byte too many.
  auto newline = KeyEncryptionKey::Load(WriteKeyFile(dir, Bytes(32) + "\n", 0600));
  ASSERT_FALSE(newline.has_value());
  EXPECT_NE(newline.error().message.find("more than 32"), std::string::npos);
}

TEST(KeyEncryptionKeyTest, MissingFileIsNotFound) {
  const TempDir dir;
  auto kek = KeyEncryptionKey::Load(dir.File("absent"));
  ASSERT_FALSE(kek.has_value());
  EXPECT_EQ(kek.error().code, ErrorCode::kNotFound);
  EXPECT_NE(kek.error().message.find("absent"), std::string::npos);
}

TEST(KeyEncryptionKeyTest, RefusesAccessByOthersAllowsGroupRead) {
  const TempDir dir;
  for (const mode_t mode : {0604, 0644, 0606, 0601}) {
    auto kek = KeyEncryptionKey::Load(WriteKeyFile(dir, Bytes(32), mode));
    ASSERT_FALSE(kek.has_value()) << std::oct << mode;
    EXPECT_EQ(kek.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(kek.error().message.find("accessible to others"), std::string::npos);
  }
  // A Kubernetes Secret mounted with defaultMode 0440 (and an fsGroup) is group-readable.
  EXPECT_TRUE(KeyEncryptionKey::Load(WriteKeyFile(dir, Bytes(32), 0440)).has_value());
}

TEST(KeyEncryptionKeyTest, FollowsSymbolicLinksLikeASecretVolumeButNotToADirectory) {
  const TempDir dir;
  const std::string target = WriteKeyFile(dir, Bytes(32), 0400);
  std::filesystem::create_symlink(target, dir.path() / "link");
  EXPECT_TRUE(KeyEncryptionKey::Load(dir.path() / "link").has_value());
  auto directory = KeyEncryptionKey::Load(dir.path());
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace seedwell

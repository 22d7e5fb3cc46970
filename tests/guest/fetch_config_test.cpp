// ResolveFetchConfig and ReadSecretFile: a config drive tree on disk, flags overriding it, and
// every missing or malformed item named in the error.
#include "guest/fetch_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/encoding.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Drive writes a config drive tree like the service's into |dir|.
struct Drive {
  testing::TempDir dir;
  SigningKey key = SigningKey::Generate();
  SealingKeyPair sealing = SealingKeyPair::Generate();

  Drive() {
    nlohmann::json meta = {{"uuid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
                           {"seedwell",
                            {{"service_url", "http://10.0.2.2:8080"},
                             {"kid", key.kid()},
                             {"public_key", ToBase64(key.public_key())}}}};
    Write(dir.path() / "openstack/latest/meta_data.json", meta.dump());
    Write(dir.path() / "seedwell/token", "swi_token\n");
    Write(dir.path() / "seedwell/sealing_key", ToBase64(sealing.secret_key()) + "\n");
    Write(dir.path() / "seedwell/seed.json", "{}\n");
  }
  std::optional<fs::path> Path() const { return dir.path(); }
};

std::string Text(const SecretBuffer& buffer) {
  return std::string(reinterpret_cast<const char*>(buffer.data()), buffer.size());
}

TEST(FetchConfigTest, EverythingComesFromTheDrive) {
  const Drive drive;
  auto config = ResolveFetchConfig(FetchFlags{}, drive.Path(), "drive");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->instance_id, "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
  ASSERT_TRUE(config->service);
  EXPECT_EQ(config->service->host, "10.0.2.2");
  EXPECT_EQ(config->service->port, 8080);
  EXPECT_EQ(Text(config->token), "swi_token");
  ASSERT_EQ(config->trusted_keys.size(), 1u);
  EXPECT_EQ(config->trusted_keys[0], drive.key.public_key());
  ASSERT_TRUE(config->sealing_key);
  EXPECT_EQ(config->sealing_key->public_key(), drive.sealing.public_key());
  ASSERT_TRUE(config->seed_file);
  EXPECT_EQ(Text(*config->seed_file), "{}");
  EXPECT_EQ(config->drive_source, "drive");
}

TEST(FetchConfigTest, FlagsOverrideTheDrive) {
  const Drive drive;
  const testing::TempDir other;
  Write(other.path() / "token", "swi_other");
  const SigningKey pinned = SigningKey::Generate();
  FetchFlags flags;
  flags.url = "http://127.0.0.1:9";
  flags.instance_id = "flag-id";
  flags.token_file = other.File("token");
  flags.public_keys = {ToBase64(pinned.public_key())};
  flags.skip_seed_file = true;
  auto config = ResolveFetchConfig(flags, drive.Path(), "drive");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->instance_id, "flag-id");
  EXPECT_EQ(config->service->port, 9);
  EXPECT_EQ(Text(config->token), "swi_other");
  ASSERT_EQ(config->trusted_keys.size(), 1u);  // the drive's key is replaced, not added to
  EXPECT_EQ(config->trusted_keys[0], pinned.public_key());
  EXPECT_FALSE(config->seed_file);
}

TEST(FetchConfigTest, MissingItemsAreNamed) {
  auto none = ResolveFetchConfig(FetchFlags{}, std::nullopt, "");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("instance's id is unknown"), std::string::npos);

  FetchFlags flags;
  flags.instance_id = "id";
  auto no_key = ResolveFetchConfig(flags, std::nullopt, "");
  ASSERT_FALSE(no_key);
  EXPECT_NE(no_key.error().message.find("no trusted public key"), std::string::npos);

  flags.public_keys = {ToBase64(SigningKey::Generate().public_key())};
  auto no_url = ResolveFetchConfig(flags, std::nullopt, "");
  ASSERT_FALSE(no_url);
  EXPECT_NE(no_url.error().message.find("no service URL"), std::string::npos);

  flags.offline = true;
  auto offline = ResolveFetchConfig(flags, std::nullopt, "");
  ASSERT_FALSE(offline);
  EXPECT_NE(offline.error().message.find("--offline needs"), std::string::npos);
}

TEST(FetchConfigTest, MalformedItemsAreRefused) {
  {
    const Drive drive;
    Write(drive.dir.path() / "openstack/latest/meta_data.json", "not json");
    EXPECT_FALSE(ResolveFetchConfig(FetchFlags{}, drive.Path(), "drive"));
  }
  {
    const Drive drive;  // a kid that does not belong to the key
    nlohmann::json meta = {{"uuid", "u"},
                           {"seedwell",
                            {{"service_url", "http://x"},
                             {"kid", "sw1_00000000000000000000000000000000"},
                             {"public_key", ToBase64(drive.key.public_key())}}}};
    Write(drive.dir.path() / "openstack/latest/meta_data.json", meta.dump());
    auto config = ResolveFetchConfig(FetchFlags{}, drive.Path(), "drive");
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("does not match its kid"), std::string::npos);
  }
  {
    const Drive drive;
    Write(drive.dir.path() / "seedwell/sealing_key", "not base64!\n");
    EXPECT_FALSE(ResolveFetchConfig(FetchFlags{}, drive.Path(), "drive"));
  }
  {
    const Drive drive;
    FetchFlags flags;
    flags.public_keys = {"AAAA"};
    EXPECT_FALSE(ResolveFetchConfig(flags, drive.Path(), "drive"));
    flags.public_keys.clear();
    flags.url = "https://x";
    EXPECT_FALSE(ResolveFetchConfig(flags, drive.Path(), "drive"));
    flags.url.clear();
    flags.token_file = drive.dir.File("absent");
    EXPECT_FALSE(ResolveFetchConfig(flags, drive.Path(), "drive"));
  }
}

TEST(FetchConfigTest, OptionalDriveFilesMayBeAbsent) {
  const Drive drive;
  fs::remove(drive.dir.path() / "seedwell/token");
  fs::remove(drive.dir.path() / "seedwell/sealing_key");
  fs::remove(drive.dir.path() / "seedwell/seed.json");
  auto config = ResolveFetchConfig(FetchFlags{}, drive.Path(), "drive");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->token.empty());
  EXPECT_FALSE(config->sealing_key);
  EXPECT_FALSE(config->seed_file);
}

TEST(ReadSecretFileTest, DropsOneNewlineAndBoundsTheSize) {
  const testing::TempDir dir;
  Write(dir.path() / "a", "abc\n\n");
  auto a = ReadSecretFile(dir.path() / "a", 16);
  ASSERT_TRUE(a);
  EXPECT_EQ(Text(*a), "abc\n");
  Write(dir.path() / "big", std::string(17, 'x'));
  auto big = ReadSecretFile(dir.path() / "big", 16);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kInvalidArgument);
  auto missing = ReadSecretFile(dir.path() / "missing", 16);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace seedwell

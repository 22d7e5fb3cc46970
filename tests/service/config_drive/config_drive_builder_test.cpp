#include "service/config_drive/config_drive_builder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "crypto/encoding.h"
#include "service/store/sqlite_store.h"
#include "tests/testutil/counting_random.h"
#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

namespace fs = std::filesystem;
using ::seedwell::testing::TempDir;

constexpr const char* kId = "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11";
constexpr const char* kUnknownId = "0f8e2e04-2d6d-4a1e-9c43-000000000000";

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ConfigDriveRequest Req(const std::string& id, bool embed_token = false,
                       bool issue_sealing_key = false) {
  ConfigDriveRequest request;
  request.instance_id = id;
  request.embed_token = embed_token;
  request.issue_sealing_key = issue_sealing_key;
  return request;
}

class ConfigDriveBuilderTest : public ::testing::Test {
 protected:
  ConfigDriveBuilderTest() {
    Instance instance;
    instance.id = kId;
    instance.project_id = "p1";
    auto created = registry_.Create(instance);
    EXPECT_TRUE(created);
    token_ = created->token;
  }
  std::size_t Builds() { return registry_.ListConfigDriveBuilds(kId)->size(); }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = SqliteStore::Open((dir_.path() / "s.db").string());
  Registry registry_{*store_, [] { return std::int64_t{1'700'000'000'000}; }};
  std::unique_ptr<KeyRing> keys_ = std::move(KeyRing::Open(dir_.path() / "keys").value());
  testing::CountingRandom random_;
  ConfigDriveBuilder builder_{registry_,       *keys_,
                              random_.Fill(),  "http://seedwell.test",
                              "seedwell test", [] { return std::uint64_t{1'700'000'000'000}; }};
  std::string token_;
};

TEST_F(ConfigDriveBuilderTest, BuildsAnIsoAndRecordsIt) {
  ConfigDriveRequest request = Req(kId);
  auto drive = builder_.BuildIso(request);
  ASSERT_TRUE(drive) << drive.error().message;
  EXPECT_EQ(drive->key_id, keys_->ActiveKey()->kid());
  EXPECT_EQ(drive->size_bytes, drive->image.size());
  EXPECT_FALSE(drive->has_secrets);
  auto builds = registry_.ListConfigDriveBuilds(kId);
  ASSERT_TRUE(builds);
  ASSERT_EQ(builds->size(), 1U);
  EXPECT_EQ((*builds)[0].key_id, drive->key_id);
  EXPECT_EQ((*builds)[0].size_bytes, drive->size_bytes);
  EXPECT_TRUE(registry_.Authenticate(token_));  // nothing rotated unless asked
}

TEST_F(ConfigDriveBuilderTest, UnknownAndRevokedInstancesGetNoDrive) {
  auto unknown = builder_.BuildIso(Req(kUnknownId));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto traversal = builder_.BuildIso(Req("../../etc/passwd"));
  ASSERT_FALSE(traversal);
  EXPECT_EQ(traversal.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(registry_.Revoke(kId));
  auto revoked = builder_.BuildIso(Req(kId, true));
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kFailedPrecondition);
  const fs::path out = dir_.path() / "revoked.iso";
  auto written = builder_.WriteTo(Req(kId), out, ConfigDriveFormat::kIso);
  ASSERT_FALSE(written);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(Builds(), 0U);
  EXPECT_EQ(random_.calls(), 0U);
}

TEST_F(ConfigDriveBuilderTest, EmbeddedTokenReplacesTheOldOne) {
  const fs::path out = dir_.path() / "drive";
  auto drive = builder_.WriteTo(Req(kId, true), out, ConfigDriveFormat::kDirectory);
  ASSERT_TRUE(drive) << drive.error().message;
  EXPECT_TRUE(drive->has_secrets);
  std::string token = Read(out / "seedwell/token");
  ASSERT_FALSE(token.empty());
  token.pop_back();  // "\n"
  EXPECT_TRUE(registry_.Authenticate(token));
  EXPECT_FALSE(registry_.Authenticate(token_));
  EXPECT_EQ(Builds(), 1U);
  EXPECT_EQ(
      drive->size_bytes, 0U + [&] {
        std::uint64_t total = 0;
        for (const auto& e : fs::recursive_directory_iterator(out)) {
          if (e.is_regular_file()) total += e.file_size();
        }
        return total;
      }());
}

TEST_F(ConfigDriveBuilderTest, IssuedSealingKeyIsRegistered) {
  const fs::path out = dir_.path() / "drive";
  auto drive = builder_.WriteTo(Req(kId, false, true), out, ConfigDriveFormat::kDirectory);
  ASSERT_TRUE(drive) << drive.error().message;
  std::string secret = Read(out / "seedwell/sealing_key");
  secret.pop_back();
  auto secret_bytes = FromBase64(secret);
  ASSERT_TRUE(secret_bytes);
  ASSERT_EQ(secret_bytes->size(), kX25519SecretKeyBytes);
  X25519PublicKey derived{};
  ASSERT_EQ(crypto_scalarmult_base(derived.data(), secret_bytes->data()), 0);
  EXPECT_EQ(registry_.Get(kId)->sealing_public_key, ToBase64(derived));
}

TEST_F(ConfigDriveBuilderTest, BadInputsAndPathsChangeNothing) {
  ConfigDriveRequest request = Req(kId, true, true);
  request.user_data = std::string(kMaxUserDataBytes + 1, 'u');
  auto oversize = builder_.BuildIso(request);
  ASSERT_FALSE(oversize);
  EXPECT_EQ(oversize.error().code, ErrorCode::kInvalidArgument);
  request.user_data.reset();
  auto bad_path =
      builder_.WriteTo(request, dir_.path() / "missing" / "x.iso", ConfigDriveFormat::kIso);
  ASSERT_FALSE(bad_path);
  EXPECT_EQ(bad_path.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(registry_.Authenticate(token_));  // the token was not rotated
  EXPECT_FALSE(registry_.Get(kId)->sealing_public_key.has_value());
  EXPECT_EQ(Builds(), 0U);
}

TEST_F(ConfigDriveBuilderTest, FailedGeneratorWritesNothing) {
  random_.FailFromCall(0);
  const fs::path out = dir_.path() / "drive.iso";
  auto drive = builder_.WriteTo(Req(kId), out, ConfigDriveFormat::kIso);
  ASSERT_FALSE(drive);
  EXPECT_EQ(drive.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(Builds(), 0U);
}

TEST_F(ConfigDriveBuilderTest, CountsTheDrivesSeedsInTheInstancesUsage) {
  auto iso = builder_.BuildIso(Req(kId));
  ASSERT_TRUE(iso) << iso.error().message;
  // The signed seed file (4 KiB by default), its nonce and every version's 512-byte random_seed.
  EXPECT_EQ(iso->seed_bytes, random_.bytes());
  EXPECT_GE(iso->seed_bytes, kDefaultSeedFileBytes + 512);
  auto usage = registry_.Usage(kId);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->bytes_by_transport.at("config_drive"), iso->seed_bytes);
  EXPECT_EQ(usage->bytes_issued, iso->seed_bytes);

  // The offline command's path (WriteTo) counts the same way.
  auto tree = builder_.WriteTo(Req(kId), dir_.path() / "tree", ConfigDriveFormat::kDirectory);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(tree->seed_bytes, iso->seed_bytes);
  EXPECT_EQ(registry_.Usage(kId)->bytes_by_transport.at("config_drive"), 2 * iso->seed_bytes);
}

TEST_F(ConfigDriveBuilderTest, AFailedBuildCountsNothing) {
  random_.FailFromCall(1);  // the first draw succeeds, the drive still fails
  ASSERT_FALSE(builder_.BuildIso(Req(kId)));
  EXPECT_EQ(registry_.Usage(kId)->bytes_issued, 0U);
  EXPECT_TRUE(registry_.Usage(kId)->bytes_by_transport.empty());
}

TEST(ParseConfigDriveFormat, KnowsIsoAndDir) {
  EXPECT_EQ(ParseConfigDriveFormat("iso"), ConfigDriveFormat::kIso);
  EXPECT_EQ(ParseConfigDriveFormat("dir"), ConfigDriveFormat::kDirectory);
  EXPECT_FALSE(ParseConfigDriveFormat("vfat"));
}

}  // namespace
}  // namespace seedwell

#include "service/config_drive/config_drive_content.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "crypto/encoding.h"
#include "crypto/signed_block.h"
#include "tests/testutil/counting_random.h"

namespace seedwell {
namespace {

constexpr const char* kId = "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11";

std::string Text(const ConfigDriveTree& tree, const std::string& path) {
  const ConfigDriveFile* file = tree.Find(path);
  if (file == nullptr) return "<missing " + path + ">";
  return {reinterpret_cast<const char*>(file->contents.data()), file->contents.size()};
}

class ConfigDriveContentTest : public ::testing::Test {
 protected:
  ConfigDriveContentTest() {
    content_.instance.id = kId;
    content_.instance.project_id = "p1";
    content_.instance.hostname = "vm-1";
    content_.instance.availability_zone = "az1";
    content_.service = {"http://169.254.169.254", key_.kid(), ToBase64(key_.public_key())};
    content_.now_unix_ms = 1'700'000'000'000;
  }
  Result<ConfigDriveTree> Build() { return BuildConfigDriveTree(content_, key_, random_.Fill()); }

  SigningKey key_ = SigningKey::Generate();
  testing::CountingRandom random_;
  ConfigDriveContent content_;
};

TEST_F(ConfigDriveContentTest, EveryVersionHasItsOwnFreshSeed) {
  auto tree = Build();
  ASSERT_TRUE(tree) << tree.error().message;
  std::set<std::string> seeds;
  std::vector<std::string_view> versions(kOpenStackVersions.begin(), kOpenStackVersions.end());
  versions.emplace_back("latest");
  for (const auto version : versions) {
    const auto doc =
        nlohmann::json::parse(Text(*tree, "openstack/" + std::string(version) + "/meta_data.json"));
    EXPECT_EQ(doc["uuid"], kId);
    EXPECT_EQ(doc["hostname"], "vm-1");
    if (version == "2012-08-10") {
      EXPECT_FALSE(doc.contains("random_seed"));  // Nova added it in 2013-04-04
      continue;
    }
    const std::string seed = doc["random_seed"];
    EXPECT_EQ(seed.size(), 684U);
    auto bytes = FromBase64(seed);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), kRandomSeedBytes);
    seeds.insert(seed);
  }
  EXPECT_EQ(seeds.size(), versions.size() - 1);  // no two versions share a seed
}

TEST_F(ConfigDriveContentTest, OptionalFilesFollowNovasVersions) {
  content_.user_data = "#cloud-config\nhostname: x\n";
  content_.vendor_data = nlohmann::json{{"k", "v"}};
  content_.network_data = nlohmann::json{{"links", nlohmann::json::array()}};
  auto tree = Build();
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(Text(*tree, "openstack/2012-08-10/user_data"), *content_.user_data);
  EXPECT_EQ(Text(*tree, "openstack/latest/user_data"), *content_.user_data);
  EXPECT_EQ(tree->Find("openstack/2013-04-04/vendor_data.json"), nullptr);
  EXPECT_EQ(Text(*tree, "openstack/2013-10-17/vendor_data.json"), R"({"k":"v"})");
  EXPECT_EQ(tree->Find("openstack/2013-10-17/network_data.json"), nullptr);
  EXPECT_EQ(Text(*tree, "openstack/2015-10-15/network_data.json"), R"({"links":[]})");
  const auto ec2 = nlohmann::json::parse(Text(*tree, "ec2/latest/meta-data.json"));
  EXPECT_EQ(ec2["instance-id"], "i-0f8e2e04");
  EXPECT_EQ(ec2["placement"]["availability-zone"], "az1");
}

TEST_F(ConfigDriveContentTest, DefaultsLeaveOutUserDataNetworkDataAndCredentials) {
  auto tree = Build();
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->Find("openstack/latest/user_data"), nullptr);
  EXPECT_EQ(tree->Find("openstack/latest/network_data.json"), nullptr);
  EXPECT_EQ(Text(*tree, "openstack/latest/vendor_data.json"), "{}");
  EXPECT_EQ(tree->Find("seedwell/token"), nullptr);
  EXPECT_EQ(tree->Find("seedwell/sealing_key"), nullptr);
  for (const auto& file : tree->files()) {
    // Only the seed file is owner-only when no credential is embedded.
    EXPECT_EQ(file.secret, file.path == "seedwell/seed.json") << file.path;
  }
}

TEST_F(ConfigDriveContentTest, SeedFileIsASignedBlockBoundToTheInstance) {
  content_.seed_file_bytes = 1000;
  auto tree = Build();
  ASSERT_TRUE(tree);
  const auto doc = nlohmann::json::parse(Text(*tree, "seedwell/seed.json"));
  EXPECT_EQ(doc["format"], kSeedFileFormat);
  EXPECT_EQ(doc["instance_id"], kId);
  EXPECT_EQ(doc["kid"], key_.kid());
  EXPECT_EQ(doc["issued_at_unix_ms"], content_.now_unix_ms);
  EXPECT_EQ(doc["sealed"], false);
  auto data = FromBase64(doc["data"].get<std::string>());
  auto nonce = FromBase64(doc["nonce"].get<std::string>());
  auto signature_bytes = FromBase64(doc["signature"].get<std::string>());
  ASSERT_TRUE(data && nonce && signature_bytes);
  EXPECT_EQ(data->size(), 1000U);
  EXPECT_EQ(nonce->size(), kSeedNonceBytes);
  ASSERT_EQ(signature_bytes->size(), kEd25519SignatureBytes);
  Ed25519Signature signature{};
  std::copy(signature_bytes->begin(), signature_bytes->end(), signature.begin());
  BlockFields fields{kId, *nonce, content_.now_unix_ms, key_.kid(), false, *data};
  EXPECT_TRUE(VerifyBlock(key_.public_key(), fields, signature));
  // Bound to the instance: the same signature does not verify for another one.
  fields.instance_id = "11111111-2d6d-4a1e-9c43-5a1f8f4a2b11";
  EXPECT_FALSE(VerifyBlock(key_.public_key(), fields, signature));
}

TEST_F(ConfigDriveContentTest, CredentialsAreSecretFiles) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  content_.token = "swi_example";
  content_.sealing_key = &pair;
  auto tree = Build();
  ASSERT_TRUE(tree);
  EXPECT_EQ(Text(*tree, "seedwell/token"), "swi_example\n");
  EXPECT_EQ(Text(*tree, "seedwell/sealing_key"), ToBase64(pair.secret_key()) + "\n");
  EXPECT_TRUE(tree->Find("seedwell/token")->secret);
  EXPECT_TRUE(tree->Find("seedwell/sealing_key")->secret);
  // The private key never leaks into the world-readable metadata.
  EXPECT_EQ(Text(*tree, "openstack/latest/meta_data.json").find(ToBase64(pair.secret_key())),
            std::string::npos);
}

TEST_F(ConfigDriveContentTest, RefusesBadInputsBeforeDrawingAnything) {
  content_.user_data = std::string(kMaxUserDataBytes + 1, 'x');
  auto tree = Build();
  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(random_.calls(), 0U);
  content_.user_data.reset();
  content_.vendor_data = nlohmann::json::array();
  EXPECT_FALSE(Build());
  content_.vendor_data.reset();
  content_.network_data = nlohmann::json("text");
  EXPECT_FALSE(Build());
  content_.network_data.reset();
  for (const std::size_t size : {std::size_t{0}, kMinSeedFileBytes - 1, kMaxSeedFileBytes + 1}) {
    content_.seed_file_bytes = size;
    EXPECT_FALSE(Build()) << size;
  }
  EXPECT_EQ(random_.calls(), 0U);
  content_.seed_file_bytes = kMaxSeedFileBytes;
  content_.user_data = std::string(kMaxUserDataBytes, 'x');
  EXPECT_TRUE(Build());  // the bounds themselves are fine
}

TEST_F(ConfigDriveContentTest, AFailedGeneratorFailsTheBuild) {
  for (const std::uint64_t n : {0, 3, 9, 10}) {  // a version seed, the seed file, its nonce
    testing::CountingRandom failing;
    failing.FailFromCall(n);
    auto tree = BuildConfigDriveTree(content_, key_, failing.Fill());
    ASSERT_FALSE(tree) << n;
    EXPECT_EQ(tree.error().code, ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace seedwell

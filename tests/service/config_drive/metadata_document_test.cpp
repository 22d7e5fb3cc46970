#include "service/config_drive/metadata_document.h"

#include <gtest/gtest.h>

#include <vector>

namespace seedwell {
namespace {

Instance Example() {
  Instance i;
  i.id = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";
  i.project_id = "p1";
  i.name = "web-1";
  i.hostname = "web-1.internal";
  i.availability_zone = "az1";
  i.metadata = {{"role", "web"}};
  return i;
}

const GuestServiceInfo kService{"http://10.0.2.2:8080", "sw1_abc", "AAAA"};

TEST(MetadataDocumentTest, ListingEndsWith2018ThenLatest) {
  const std::string listing = OpenStackVersionListing();
  EXPECT_EQ(listing.substr(listing.size() - 18), "\n2018-08-27\nlatest");
  EXPECT_EQ(listing.find("2020-10-14"), std::string::npos);
  EXPECT_TRUE(IsOpenStackVersion("latest"));
  EXPECT_TRUE(IsOpenStackVersion("2013-04-04"));
  EXPECT_FALSE(IsOpenStackVersion("2020-10-14"));
  EXPECT_FALSE(IsOpenStackVersion("../etc"));
}

TEST(MetadataDocumentTest, SeedIs684PaddedBase64Characters) {
  std::vector<std::uint8_t> seed(kRandomSeedBytes, 0xAB);
  auto doc = BuildMetaData(Example(), "2018-08-27", seed, kService);
  ASSERT_TRUE(doc.has_value());
  const std::string encoded = (*doc)["random_seed"];
  EXPECT_EQ(encoded.size(), 684U);
  // 512 = 3 * 170 + 2: the last two bytes make three characters and one '='.
  EXPECT_EQ(encoded.back(), '=');
  EXPECT_NE(encoded[682], '=');
  EXPECT_EQ((*doc)["uuid"], "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e");
  EXPECT_EQ((*doc)["meta"]["role"], "web");
  EXPECT_EQ((*doc)["project_id"], "p1");
  EXPECT_EQ((*doc)["seedwell"]["key_id"], "sw1_abc");
  EXPECT_EQ((*doc)["seedwell"]["entropy_url"], "http://10.0.2.2:8080/v1/entropy");
}

TEST(MetadataDocumentTest, KeysFollowTheVersion) {
  std::vector<std::uint8_t> seed(kRandomSeedBytes, 1);
  auto oldest = BuildMetaData(Example(), "2012-08-10", seed, kService);
  ASSERT_TRUE(oldest.has_value());
  EXPECT_FALSE(oldest->contains("random_seed"));
  EXPECT_FALSE(oldest->contains("project_id"));
  auto mid = BuildMetaData(Example(), "2013-04-04", seed, kService);
  EXPECT_TRUE(mid->contains("random_seed"));
  EXPECT_FALSE(mid->contains("project_id"));
  auto latest = BuildMetaData(Example(), "latest", seed, kService);
  EXPECT_TRUE(latest->contains("devices"));
}

TEST(MetadataDocumentTest, RejectsUnknownVersionAndWrongSeedSize) {
  std::vector<std::uint8_t> seed(kRandomSeedBytes, 1);
  EXPECT_FALSE(BuildMetaData(Example(), "2099-01-01", seed, kService).has_value());
  std::vector<std::uint8_t> short_seed(511, 1);
  EXPECT_FALSE(BuildMetaData(Example(), "latest", short_seed, kService).has_value());
}

}  // namespace
}  // namespace seedwell

#include "service/config_drive/iso_image.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace seedwell {
namespace {

constexpr std::size_t kSector = 2048;

std::string_view Bytes(const SecretBuffer& image, std::size_t offset, std::size_t n) {
  return {reinterpret_cast<const char*>(image.data()) + offset, n};
}

// Descriptor returns the volume descriptor of |type| (1 primary, 2 supplementary) or npos.
std::size_t Descriptor(const SecretBuffer& image, unsigned char type) {
  for (std::size_t sector = 16; (sector + 1) * kSector <= image.size(); ++sector) {
    const std::size_t at = sector * kSector;
    if (Bytes(image, at + 1, 5) != "CD001") break;
    if (image.data()[at] == 255) break;  // terminator
    if (image.data()[at] == type) return at;
  }
  return std::string_view::npos;
}

ConfigDriveTree SampleTree() {
  ConfigDriveTree tree;
  EXPECT_TRUE(
      tree.AddText("openstack/latest/meta_data.json", R"({"uuid":"marker-uuid-1"})", false));
  EXPECT_TRUE(tree.AddText("ec2/latest/meta-data.json", "{}", false));
  EXPECT_TRUE(tree.AddText("seedwell/token", "swi_marker_token", true));
  EXPECT_TRUE(tree.AddText("seedwell/empty", "", false));
  return tree;
}

TEST(IsoImage, HasConfig2LabelJolietAndRockRidge) {
  auto image = BuildIsoImage(SampleTree(), IsoImageOptions{});
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_EQ(image->size() % kSector, 0U);
  const std::size_t primary = Descriptor(*image, 1);
  ASSERT_NE(primary, std::string_view::npos);
  // Lowercase and with its dash: without relaxed volume attributes libisofs writes CONFIG_2.
  EXPECT_EQ(Bytes(*image, primary + 40, 32), "config-2" + std::string(24, ' '));
  const std::size_t joliet = Descriptor(*image, 2);
  ASSERT_NE(joliet, std::string_view::npos);
  EXPECT_EQ(Bytes(*image, joliet + 88, 3), "%/E");  // Joliet UCS-2 level 3 escape sequence
  const std::string_view all = Bytes(*image, 0, image->size());
  EXPECT_NE(all.find(std::string("SP\x07\x01\xbe\xef", 6)), std::string_view::npos);  // SUSP
  EXPECT_NE(all.find("IEEE_1282"), std::string_view::npos);  // Rock Ridge 1.12 extension id
  EXPECT_NE(all.find("marker-uuid-1"), std::string_view::npos);
  EXPECT_NE(all.find("swi_marker_token"), std::string_view::npos);
}

TEST(IsoImage, VolumeIdIsChecked) {
  IsoImageOptions options;
  options.volume_id = std::string(33, 'x');
  auto image = BuildIsoImage(SampleTree(), options);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, ErrorCode::kInvalidArgument);
  options.volume_id.clear();
  EXPECT_FALSE(BuildIsoImage(SampleTree(), options));
}

TEST(IsoImage, EmptyTreeIsAValidImage) {
  auto image = BuildIsoImage(ConfigDriveTree{}, IsoImageOptions{});
  ASSERT_TRUE(image) << image.error().message;
  EXPECT_NE(Descriptor(*image, 1), std::string_view::npos);
}

TEST(IsoImage, ConcurrentBuildsAreIndependent) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (std::size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&ok, t] {
      for (int i = 0; i < 10; ++i) {
        ConfigDriveTree tree;
        const std::string marker = "marker-" + std::to_string(t) + "-" + std::to_string(i);
        if (!tree.AddText("a/b", marker, false)) return;
        auto image = BuildIsoImage(tree, IsoImageOptions{});
        if (image && Bytes(*image, 0, image->size()).find(marker) != std::string_view::npos) {
          ++ok[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const int n : ok) EXPECT_EQ(n, 10);
}

}  // namespace
}  // namespace seedwell

#include "service/config_drive/config_drive_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace seedwell {
namespace {

TEST(ValidateTreePath, AcceptsNovaPaths) {
  for (const char* path : {"openstack/latest/meta_data.json", "ec2/latest/meta-data.json",
                           "seedwell/token", "a", "openstack/2018-08-27/user_data"}) {
    EXPECT_TRUE(ValidateTreePath(path).has_value()) << path;
  }
}

TEST(ValidateTreePath, RefusesEverythingThatCouldEscapeOrConfuse) {
  const std::vector<std::string> bad = {"",
                                        "/etc/passwd",
                                        "../x",
                                        "a/../../x",
                                        "a/./b",
                                        ".",
                                        "..",
                                        "a//b",
                                        "a/",
                                        "a/b/",
                                        "a\\b",
                                        "a b",
                                        "a\nb",
                                        std::string("a\0b", 3),
                                        "x/\xc3\xa9",
                                        "a/b/c/d/e/f/g/h/i",
                                        std::string(65, 'a')};
  for (const auto& path : bad) {
    auto ok = ValidateTreePath(path);
    ASSERT_FALSE(ok.has_value()) << "accepted: " << path;
    EXPECT_EQ(ok.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(ValidateTreePath("a/b/c/d/e/f/g/h").has_value());  // exactly the depth bound
  EXPECT_TRUE(ValidateTreePath(std::string(64, 'a')).has_value());
}

TEST(ConfigDriveTree, AddRefusesUnsafePathsAndCollisions) {
  ConfigDriveTree tree;
  ASSERT_TRUE(tree.AddText("openstack/latest/meta_data.json", "{}", false));
  EXPECT_FALSE(tree.AddText("../../etc/cron.d/x", "boom", false));
  EXPECT_FALSE(tree.AddText("openstack/latest/meta_data.json", "again", false));  // duplicate
  EXPECT_FALSE(tree.AddText("openstack/latest", "file over a directory", false));
  EXPECT_FALSE(tree.AddText("openstack/latest/meta_data.json/x", "under a file", false));
  EXPECT_EQ(tree.files().size(), 1U);
}

TEST(ConfigDriveTree, ListsDirectoriesParentsFirstAndCountsBytes) {
  ConfigDriveTree tree;
  ASSERT_TRUE(tree.AddText("openstack/latest/meta_data.json", "{}", false));
  ASSERT_TRUE(tree.AddText("openstack-x/y", "12345", false));
  ASSERT_TRUE(tree.AddText("seedwell/token", "swi_x", true));
  ASSERT_TRUE(tree.AddText("top", "", false));
  const std::vector<std::string> want = {"openstack", "openstack-x", "openstack/latest",
                                         "seedwell"};
  EXPECT_EQ(tree.Directories(), want);
  EXPECT_EQ(tree.TotalBytes(), 2U + 5U + 5U);
  EXPECT_TRUE(tree.HasSecrets());
  ASSERT_NE(tree.Find("top"), nullptr);
  EXPECT_EQ(tree.Find("top")->contents.size(), 0U);
  EXPECT_EQ(tree.Find("nope"), nullptr);
}

TEST(ConfigDriveTree, WithoutSecretFilesHasNoSecrets) {
  ConfigDriveTree tree;
  ASSERT_TRUE(tree.AddText("a/b", "x", false));
  EXPECT_FALSE(tree.HasSecrets());
}

}  // namespace
}  // namespace seedwell

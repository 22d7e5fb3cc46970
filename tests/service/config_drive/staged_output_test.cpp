#include "service/config_drive/staged_output.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

namespace fs = std::filesystem;
using ::seedwell::testing::TempDir;

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Entries lists the names in |dir| (to prove nothing was left behind).
std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

mode_t Mode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

ConfigDriveTree Tree(const std::string& marker) {
  ConfigDriveTree tree;
  EXPECT_TRUE(tree.AddText("openstack/latest/meta_data.json", marker, false));
  EXPECT_TRUE(tree.AddText("seedwell/token", "t", true));
  return tree;
}

TEST(ValidateOutputPath, RefusesBadTargets) {
  const TempDir dir;
  const fs::path d = dir.path();
  fs::create_directory(d / "sub");
  std::ofstream(d / "file") << "x";
  fs::create_symlink(d / "file", d / "link");
  struct Case {
    fs::path path;
    OutputKind kind;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"", OutputKind::kFile, ErrorCode::kInvalidArgument},
      {"/", OutputKind::kDirectory, ErrorCode::kInvalidArgument},
      {d / "..", OutputKind::kDirectory, ErrorCode::kInvalidArgument},
      {d / ".", OutputKind::kDirectory, ErrorCode::kInvalidArgument},
      {d / "missing" / "x.iso", OutputKind::kFile, ErrorCode::kNotFound},
      {d / "file" / "x.iso", OutputKind::kFile, ErrorCode::kInvalidArgument},
      {d / "link", OutputKind::kFile, ErrorCode::kInvalidArgument},
      {d / "sub", OutputKind::kFile, ErrorCode::kInvalidArgument},
      {d / "file", OutputKind::kDirectory, ErrorCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto ok = ValidateOutputPath(c.path, c.kind);
    ASSERT_FALSE(ok) << c.path;
    EXPECT_EQ(ok.error().code, c.code) << c.path;
  }
  auto trailing = ValidateOutputPath(d.string() + "/sub/", OutputKind::kDirectory);
  ASSERT_TRUE(trailing);
  EXPECT_EQ(*trailing, d / "sub");
}

TEST(StagedOutput, FileAppearsOnlyOnCommit) {
  const TempDir dir;
  const fs::path target = dir.path() / "drive.iso";
  {
    auto staged = StagedOutput::StageFile(target, AsBytes("image"), 0600);
    ASSERT_TRUE(staged) << staged.error().message;
    EXPECT_FALSE(fs::exists(target));
    ASSERT_TRUE(staged->Commit());
    EXPECT_FALSE(staged->Commit());  // once only
  }
  EXPECT_EQ(Read(target), "image");
  EXPECT_EQ(Mode(target), 0600U);
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"drive.iso"});
}

TEST(StagedOutput, UncommittedLeavesTheOldTargetAndNoTemporary) {
  const TempDir dir;
  const fs::path target = dir.path() / "drive.iso";
  std::ofstream(target) << "old";
  {
    auto staged = StagedOutput::StageFile(target, AsBytes("new"), 0600);
    ASSERT_TRUE(staged);
    EXPECT_EQ(Entries(dir.path()).size(), 2U);  // the temporary beside the target
  }
  EXPECT_EQ(Read(target), "old");
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"drive.iso"});
}

TEST(StagedOutput, TreeIsWrittenWithModesAndReplacesAnOldTree) {
  const TempDir dir;
  const fs::path target = dir.path() / "drive";
  fs::create_directories(target / "stale");
  auto staged = StagedOutput::StageTree(target, Tree("new"));
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_TRUE(fs::exists(target / "stale"));
  ASSERT_TRUE(staged->Commit());
  EXPECT_FALSE(fs::exists(target / "stale"));
  EXPECT_EQ(Read(target / "openstack/latest/meta_data.json"), "new");
  EXPECT_EQ(Mode(target), 0700U);  // it holds a secret
  EXPECT_EQ(Mode(target / "seedwell"), 0755U);
  EXPECT_EQ(Mode(target / "seedwell/token"), 0600U);
  EXPECT_EQ(Mode(target / "openstack/latest/meta_data.json"), 0644U);
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"drive"});
}

TEST(StagedOutput, ConcurrentTreeBuildsLeaveOneCompleteTree) {
  const TempDir dir;
  const fs::path target = dir.path() / "drive";
  std::vector<std::thread> threads;
  std::atomic<int> committed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&target, &committed, t] {
      for (int i = 0; i < 5; ++i) {
        auto staged = StagedOutput::StageTree(target, Tree(std::to_string(t)));
        if (staged && staged->Commit()) ++committed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(committed.load(), 20);
  const std::string winner = Read(target / "openstack/latest/meta_data.json");
  EXPECT_TRUE(winner == "0" || winner == "1" || winner == "2" || winner == "3") << winner;
  EXPECT_EQ(Read(target / "seedwell/token"), "t");
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"drive"});
}

// A file size limit makes write() fail with EFBIG (SIGXFSZ ignored): a full disk without root.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    EXPECT_EQ(getrlimit(RLIMIT_FSIZE, &saved_), 0);
    previous_ = signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, previous_);
  }

 private:
  rlimit saved_{};
  sighandler_t previous_{};
};

TEST(StagedOutput, FullDiskLeavesNothingAndKeepsTheOldTarget) {
  const TempDir dir;
  const fs::path target = dir.path() / "drive.iso";
  std::ofstream(target) << "old";
  const std::string big(64 * 1024, 'x');
  {
    const FileSizeLimit limit(4096);
    auto staged = StagedOutput::StageFile(target, AsBytes(big), 0600);
    ASSERT_FALSE(staged);
    EXPECT_EQ(staged.error().code, ErrorCode::kResourceExhausted);
    EXPECT_NE(staged.error().message.find("drive.iso"), std::string::npos);
    ConfigDriveTree tree;
    ASSERT_TRUE(tree.AddText("a/big", big, false));
    auto staged_tree = StagedOutput::StageTree(dir.path() / "tree", tree);
    ASSERT_FALSE(staged_tree);
    EXPECT_EQ(staged_tree.error().code, ErrorCode::kResourceExhausted);
  }
  EXPECT_EQ(Read(target), "old");
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"drive.iso"});
}

TEST(StagedOutput, UnwritableDirectoryIsAClearError) {
  // /proc refuses new files even to root, so this works with and without privileges.
  auto staged = StagedOutput::StageFile("/proc/seedwell-drive.iso", AsBytes("x"), 0600);
  ASSERT_FALSE(staged);
  EXPECT_NE(staged.error().message.find("/proc/seedwell-drive.iso"), std::string::npos);
}

}  // namespace
}  // namespace seedwell

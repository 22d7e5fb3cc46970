#include "crypto/hwrng_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using ::seedwell::testing::TempDir;

TEST(HwrngSourceTest, MissingDeviceIsNotFound) {
  TempDir dir;
  const std::string path = (dir.path() / "no-such-hwrng").string();
  auto r = HwrngSource::Open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "hwrng device " + path + " does not exist");
}

TEST(HwrngSourceTest, DirectoryIsRejected) {
  TempDir dir;
  auto r = HwrngSource::Open(dir.path().string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(HwrngSourceTest, PathThroughAFileIsUnavailable) {
  TempDir dir;
  const fs::path file = dir.path() / "file";
  std::ofstream(file) << "x";
  auto r = HwrngSource::Open((file / "dev").string());  // ENOTDIR
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find((file / "dev").string()), std::string::npos);
}

TEST(HwrngSourceTest, ReadsAFileAndReportsEndOfFile) {
  TempDir dir;
  const fs::path file = dir.path() / "rng";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 40; ++i) out.put(static_cast<char>(i));
  }
  auto source = HwrngSource::Open(file.string(), milliseconds(100));
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ((*source)->Name(), "hwrng");
  EXPECT_EQ((*source)->Kind(), SourceKind::kHardware);
  std::array<std::uint8_t, 32> out{};
  ASSERT_TRUE((*source)->Read(out));
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[31], 31);
  out.fill(0xEE);
  auto r = (*source)->Read(out);  // only 8 bytes left
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("end of file"), std::string::npos);
  EXPECT_EQ(out[0], 0);  // the partial read was wiped
}

TEST(HwrngSourceTest, StalledDeviceTimesOut) {
  TempDir dir;
  const fs::path fifo = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto source = HwrngSource::Open(fifo.string(), milliseconds(50));
  ASSERT_TRUE(source) << source.error().message;
  // A writer that never writes: reads see EAGAIN, not end of file.
  const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  std::array<std::uint8_t, 16> out{};
  const auto begin = std::chrono::steady_clock::now();
  auto r = (*source)->Read(out);
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  ::close(writer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("timed out after 50 ms"), std::string::npos)
      << r.error().message;
  EXPECT_GE(elapsed, milliseconds(50));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(HwrngSourceTest, FifoDataIsDeliveredAcrossWrites) {
  TempDir dir;
  const fs::path fifo = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto source = HwrngSource::Open(fifo.string(), milliseconds(1000));
  ASSERT_TRUE(source);
  const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  const std::array<std::uint8_t, 16> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  ASSERT_EQ(::write(writer, data.data(), 10), 10);
  ASSERT_EQ(::write(writer, data.data() + 10, 6), 6);
  std::array<std::uint8_t, 16> out{};
  EXPECT_TRUE((*source)->Read(out));
  EXPECT_EQ(out, data);
  ::close(writer);
}

// The machine's own device: where the kernel has a current hwrng and we may read it, reading
// must work; otherwise opening must fail with a clear code.
TEST(HwrngSourceTest, RealDeviceWorksOrFailsClearly) {
  std::string current;
  std::ifstream("/sys/class/misc/hw_random/rng_current") >> current;
  const bool usable = fs::exists("/dev/hwrng") && ::access("/dev/hwrng", R_OK) == 0 &&
                      !current.empty() && current != "none";
  auto source = HwrngSource::Open();
  if (!usable) {
    if (source) {
      std::array<std::uint8_t, 16> out{};
      EXPECT_FALSE((*source)->Read(out));
    } else {
      EXPECT_TRUE(source.error().code == ErrorCode::kNotFound ||
                  source.error().code == ErrorCode::kPermissionDenied)
          << source.error().message;
    }
    return;
  }
  ASSERT_TRUE(source) << source.error().message;
  std::array<std::uint8_t, 64> a{};
  std::array<std::uint8_t, 64> b{};
  ASSERT_TRUE((*source)->Read(a));
  ASSERT_TRUE((*source)->Read(b));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace seedwell

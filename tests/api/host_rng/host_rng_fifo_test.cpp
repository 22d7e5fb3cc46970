// HostRngFifo against real FIFOs in a temporary directory: creation and mode, the budget, fail
// closed, reuse across a restart, recreation after removal, and the refusals of bad paths.
#include "api/host_rng/host_rng_fifo.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// FillPattern is a generator that writes 0xA5 bytes, or fails while |*failing| is set.
HostRngGenerate FillPattern(std::atomic<bool>* failing = nullptr) {
  return [failing](std::span<std::uint8_t> out) -> Result<void> {
    if (failing != nullptr && failing->load()) {
      return Fail(ErrorCode::kUnavailable, "DRBG failed closed");
    }
    std::fill(out.begin(), out.end(), 0xA5);
    return {};
  };
}

// Reader opens |path| for reading without blocking; ReadFor reads what it can for |duration|.
class Reader {
 public:
  explicit Reader(const std::string& path)
      : fd_(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {}  // NOLINT
  ~Reader() {
    if (fd_ >= 0) close(fd_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  bool ok() const { return fd_ >= 0; }

  // ReadFor returns the bytes read in |duration|; |*eof| (if given) is set on end of file.
  std::vector<std::uint8_t> ReadFor(milliseconds duration, bool* eof = nullptr) {
    std::vector<std::uint8_t> got;
    const auto end = steady_clock::now() + duration;
    while (steady_clock::now() < end) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 20) <= 0) continue;
      std::uint8_t buf[4096];
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n == 0) {
        if (eof != nullptr) *eof = true;
        break;
      }
      if (n > 0) got.insert(got.end(), buf, buf + n);
    }
    return got;
  }

 private:
  int fd_;
};

HostRngOptions OptionsFor(const std::string& path, std::uint64_t rate = 4096,
                          std::uint64_t burst = 8192) {
  HostRngOptions o;
  o.path = path;
  o.rate_bytes_per_second = rate;
  o.burst_bytes = burst;
  return o;
}

TEST(HostRngFifoTest, CreatesTheFifoWithItsModeAndFeedsReaders) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  HostRngOptions o = OptionsFor(path);
  o.mode = "0640";
  Counter counter;
  auto fifo = HostRngFifo::Start(o, FillPattern(), SteadyClock::Instance(), &counter);
  ASSERT_TRUE(fifo) << fifo.error().message;
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640U);
  EXPECT_EQ(st.st_uid, geteuid());

  Reader reader(path);
  ASSERT_TRUE(reader.ok());
  const auto got = reader.ReadFor(milliseconds(400));
  ASSERT_FALSE(got.empty());
  EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](std::uint8_t b) { return b == 0xA5; }));
  EXPECT_GE((*fifo)->BytesWritten(), got.size());
  EXPECT_EQ(counter.Value(), static_cast<double>((*fifo)->BytesWritten()));

  (*fifo)->Stop();
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << "the FIFO stays for the next start";
}

TEST(HostRngFifoTest, WritesNoMoreThanTheBudget) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  constexpr std::uint64_t kRate = 2000;
  constexpr std::uint64_t kBurst = 2000;
  const auto start = steady_clock::now();
  auto fifo = HostRngFifo::Start(OptionsFor(path, kRate, kBurst), FillPattern(),
                                 SteadyClock::Instance(), nullptr);
  ASSERT_TRUE(fifo) << fifo.error().message;
  EXPECT_EQ((*fifo)->ChunkBytes(), 250U);  // an eighth of the rate
  Reader reader(path);
  ASSERT_TRUE(reader.ok());
  const auto got = reader.ReadFor(milliseconds(1500));
  // The writer counts a chunk once write() returns, which can be just after the reader has it.
  auto written = (*fifo)->BytesWritten();
  for (int i = 0; i < 100 && written < got.size(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
    written = (*fifo)->BytesWritten();
  }
  const double elapsed = std::chrono::duration<double>(steady_clock::now() - start).count();
  EXPECT_LE(got.size(), written);
  EXPECT_LE(static_cast<double>(written), kBurst + kRate * elapsed + 1)
      << "written " << written << " in " << elapsed << " s";
  EXPECT_GE(got.size(), kBurst) << "the burst and at least some refill reach the reader";
}

TEST(HostRngFifoTest, WritesNothingWhileTheGeneratorIsFailedClosed) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  std::atomic<bool> failing{true};
  auto fifo =
      HostRngFifo::Start(OptionsFor(path), FillPattern(&failing), SteadyClock::Instance(), nullptr);
  ASSERT_TRUE(fifo) << fifo.error().message;
  Reader reader(path);
  ASSERT_TRUE(reader.ok());
  bool eof = false;
  EXPECT_TRUE(reader.ReadFor(milliseconds(500), &eof).empty());
  EXPECT_FALSE(eof) << "readers wait; they never see end of file";
  EXPECT_EQ((*fifo)->BytesWritten(), 0U);
  failing = false;
  EXPECT_FALSE(reader.ReadFor(milliseconds(1200)).empty()) << "resumes when the DRBG does";
}

TEST(HostRngFifoTest, ReusesItsFifoSoReadersSurviveARestart) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  auto first =
      HostRngFifo::Start(OptionsFor(path), FillPattern(), SteadyClock::Instance(), nullptr);
  ASSERT_TRUE(first) << first.error().message;
  Reader reader(path);  // like QEMU: opened once, kept
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(reader.ReadFor(milliseconds(300)).empty());
  first->reset();  // stops, closes; the FIFO stays
  bool eof = false;
  (void)reader.ReadFor(milliseconds(200), &eof);  // drains what was left in the pipe
  auto second =
      HostRngFifo::Start(OptionsFor(path), FillPattern(), SteadyClock::Instance(), nullptr);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(reader.ReadFor(milliseconds(500)).empty()) << "the old reader is fed again";
}

TEST(HostRngFifoTest, RecreatesARemovedFifo) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  auto fifo = HostRngFifo::Start(OptionsFor(path), FillPattern(), SteadyClock::Instance(), nullptr);
  ASSERT_TRUE(fifo) << fifo.error().message;
  ASSERT_EQ(unlink(path.c_str()), 0);
  struct stat st {};
  bool back = false;
  for (int i = 0; i < 40 && !back; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    back = lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  }
  ASSERT_TRUE(back) << "not recreated within 4 s";
  Reader reader(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(reader.ReadFor(milliseconds(500)).empty());
}

TEST(HostRngFifoTest, LeavesSomethingElseAtThePathAlone) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  auto fifo = HostRngFifo::Start(OptionsFor(path), FillPattern(), SteadyClock::Instance(), nullptr);
  ASSERT_TRUE(fifo) << fifo.error().message;
  const std::string other = dir.File("other");
  std::ofstream(other) << "operator's file";
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);  // atomic: the writer never sees a gap
  std::this_thread::sleep_for(milliseconds(1500));
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 15);
}

TEST(HostRngFifoTest, RefusesARegularFile) {
  testing::TempDir dir;
  const std::string path = dir.File("host-rng");
  std::ofstream(path) << "keep me";
  auto fifo = HostRngFifo::Start(OptionsFor(path), FillPattern(), SteadyClock::Instance(), nullptr);
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(fifo.error().message.find("is not a FIFO"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 7) << "untouched";
}

TEST(HostRngFifoTest, RefusesAMissingDirectory) {
  testing::TempDir dir;
  auto fifo = HostRngFifo::Start(OptionsFor(dir.File("missing/host-rng")), FillPattern(),
                                 SteadyClock::Instance(), nullptr);
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(fifo.error().message.find("No such file or directory"), std::string::npos)
      << fifo.error().message;
}

TEST(HostRngFifoTest, RefusesBadSettings) {
  testing::TempDir dir;
  HostRngOptions o = OptionsFor(dir.File("host-rng"));
  o.mode = "0999";
  EXPECT_FALSE(HostRngFifo::Start(o, FillPattern(), SteadyClock::Instance(), nullptr));
  o = OptionsFor(dir.File("host-rng"), 0, 10);
  EXPECT_FALSE(HostRngFifo::Start(o, FillPattern(), SteadyClock::Instance(), nullptr));
  o = OptionsFor(dir.path().string() + "/");
  EXPECT_FALSE(HostRngFifo::Start(o, FillPattern(), SteadyClock::Instance(), nullptr));
}

}  // namespace
}  // namespace seedwell

#include "crypto/kernel_source.h"

#include <gtest/gtest.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>

namespace seedwell {
namespace {

// A scripted getrandom: each step either fails with an errno or returns up to |max| bytes of 0xA5.
struct Step {
  int error;        // 0 for success
  std::size_t max;  // bytes to return on success
};
std::deque<Step> script;  // NOLINT(cert-err58-cpp): test-only global for a plain function pointer
int calls = 0;            // NOLINT

ssize_t ScriptedGetrandom(void* buf, std::size_t len, unsigned int flags) {
  ++calls;
  EXPECT_NE(flags & GRND_NONBLOCK, 0U);
  if (script.empty()) return 0;
  const Step step = script.front();
  script.pop_front();
  if (step.error != 0) {
    errno = step.error;
    return -1;
  }
  const std::size_t n = std::min(len, step.max);
  std::memset(buf, 0xA5, n);
  return static_cast<ssize_t>(n);
}

class KernelSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script.clear();
    calls = 0;
  }
};

TEST_F(KernelSourceTest, RealGetrandomFillsTheBuffer) {
  KernelSource source;
  EXPECT_EQ(source.Name(), "kernel");
  EXPECT_EQ(source.Kind(), SourceKind::kKernel);
  EXPECT_DOUBLE_EQ(source.MinEntropyPerByte(), 8.0);
  std::array<std::uint8_t, 64> a{};
  std::array<std::uint8_t, 64> b{};
  ASSERT_TRUE(source.Read(a));
  ASSERT_TRUE(source.Read(b));
  EXPECT_NE(a, b);
  EXPECT_TRUE(source.Read({}));  // an empty read succeeds
}

TEST_F(KernelSourceTest, RetriesEintrAndContinuesShortReads) {
  script = {{EINTR, 0}, {0, 10}, {EINTR, 0}, {0, 5}, {0, 100}};
  KernelSource source(&ScriptedGetrandom);
  std::array<std::uint8_t, 32> out{};
  ASSERT_TRUE(source.Read(out));
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](auto v) { return v == 0xA5; }));
  EXPECT_EQ(calls, 5);
}

TEST_F(KernelSourceTest, UninitialisedPoolIsUnavailable) {
  script = {{EAGAIN, 0}};
  KernelSource source(&ScriptedGetrandom);
  std::array<std::uint8_t, 8> out{};
  auto r = source.Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("not initialised"), std::string::npos);
}

TEST_F(KernelSourceTest, OtherErrorsAreReported) {
  script = {{0, 4}, {ENOSYS, 0}};
  KernelSource source(&ScriptedGetrandom);
  std::array<std::uint8_t, 8> out{};
  auto r = source.Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("getrandom"), std::string::npos);
}

TEST_F(KernelSourceTest, NoProgressIsBounded) {
  // An empty script returns 0 bytes forever; the read must give up.
  KernelSource source(&ScriptedGetrandom);
  std::array<std::uint8_t, 8> out{};
  auto r = source.Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(calls, 1000);
}

}  // namespace
}  // namespace seedwell

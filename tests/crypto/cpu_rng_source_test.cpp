#include "crypto/cpu_rng_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "crypto/health_tests.h"

namespace seedwell {
namespace {

// CpuinfoHasFlag reads the first "flags" line of /proc/cpuinfo: what the kernel saw in CPUID.
bool CpuinfoHasFlag(const std::string& flag) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags.count(flag) != 0;
  }
  ADD_FAILURE() << "no flags line in /proc/cpuinfo";
  return false;
}

TEST(CpuRngSourceTest, DetectionAgreesWithProcCpuinfo) {
  EXPECT_EQ(CpuHasRdrand(), CpuinfoHasFlag("rdrand"));
  EXPECT_EQ(CpuHasRdseed(), CpuinfoHasFlag("rdseed"));
}

// ExerciseOrRefuse checks the real instruction: a working, health-tested source where the CPU has
// it, a clean kUnavailable where it has not.
void ExerciseOrRefuse(CpuRngInstruction instruction, bool present, const std::string& name) {
  auto created = CpuRngSource::Create(instruction);
  if (!present) {
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(created.error().message, name + " not available on this CPU");
    return;
  }
  ASSERT_TRUE(created) << created.error().message;
  CpuRngSource& source = **created;
  EXPECT_EQ(source.Name(), name);
  EXPECT_EQ(source.Kind(), SourceKind::kHardware);
  std::array<std::uint8_t, 4096> a{};
  std::array<std::uint8_t, 4096> b{};
  ASSERT_TRUE(source.Read(a));
  ASSERT_TRUE(source.Read(b));
  EXPECT_NE(a, b);
  HealthTests tests(source.MinEntropyPerByte());
  EXPECT_TRUE(tests.Feed(a));
  EXPECT_TRUE(tests.Feed(b));
  std::array<std::uint8_t, 13> odd{};  // not a multiple of 8
  EXPECT_TRUE(source.Read(odd));
}

TEST(CpuRngSourceTest, RdrandWorksOrIsRefusedCleanly) {
  ExerciseOrRefuse(CpuRngInstruction::kRdrand, CpuinfoHasFlag("rdrand"), "rdrand");
}

TEST(CpuRngSourceTest, RdseedWorksOrIsRefusedCleanly) {
  ExerciseOrRefuse(CpuRngInstruction::kRdseed, CpuinfoHasFlag("rdseed"), "rdseed");
}

TEST(CpuRngSourceTest, MinEntropyIsConservative) {
  EXPECT_DOUBLE_EQ(CpuRngSource(CpuRngInstruction::kRdseed, nullptr, 1).MinEntropyPerByte(), 4.0);
  EXPECT_DOUBLE_EQ(CpuRngSource(CpuRngInstruction::kRdrand, nullptr, 1).MinEntropyPerByte(), 2.0);
}

int step_calls = 0;               // NOLINT: state of the plain-function fakes below
int failures_before_success = 0;  // NOLINT

bool FlakyStep(std::uint64_t* out) {
  ++step_calls;
  if (step_calls <= failures_before_success) return false;
  *out = 0x0102030405060708ULL;
  return true;
}

TEST(CpuRngSourceTest, TransientFailuresAreRetried) {
  step_calls = 0;
  failures_before_success = 5;
  CpuRngSource source(CpuRngInstruction::kRdseed, &FlakyStep, 6);
  std::array<std::uint8_t, 16> out{};
  ASSERT_TRUE(source.Read(out));
  EXPECT_EQ(step_calls, 7);  // 5 failures, then one success per 8 bytes
  EXPECT_EQ(out[0], 0x08);   // little-endian word
}

TEST(CpuRngSourceTest, PersistentFailureIsBoundedAndWipes) {
  step_calls = 0;
  failures_before_success = 1 << 30;
  CpuRngSource source(CpuRngInstruction::kRdseed, &FlakyStep, 100);
  std::array<std::uint8_t, 16> out{};
  out.fill(0xEE);
  auto r = source.Read(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("rdseed returned no data after 100 attempts"),
            std::string::npos);
  EXPECT_EQ(step_calls, 100);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](auto v) { return v == 0; }));
}

}  // namespace
}  // namespace seedwell

// CreditKernel's fallback path, which needs no privilege: a device that refuses RNDADDENTROPY
// (a regular file answers ENOTTY; a missing one ENOENT) leads to a plain write of the same bytes,
// and the reason is reported. The privileged path is exercised by tests/integration/fetch_test.sh
// (as root, and as nobody) and inside the VM test.
#include "guest/kernel_credit.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(KernelCreditTest, FallsBackToWritingWhenTheIoctlIsRefused) {
  const testing::TempDir dir;
  std::ofstream(dir.File("not-a-device")).put('\0');
  std::ofstream(dir.File("urandom"));
  const std::vector<std::uint8_t> bytes(3000, 0x5a);  // more than one ioctl chunk
  std::string reason;
  auto outcome = CreditKernel(bytes, dir.File("not-a-device"), dir.File("urandom"), &reason);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(*outcome, CreditOutcome::kMixedOnly);
  EXPECT_NE(reason.find("RNDADDENTROPY"), std::string::npos);
  EXPECT_EQ(ReadAll(dir.File("urandom")), std::string(3000, 'Z'));
}

TEST(KernelCreditTest, AMissingRandomDeviceAlsoFallsBack) {
  const testing::TempDir dir;
  std::ofstream(dir.File("urandom"));
  const std::vector<std::uint8_t> bytes = {'a', 'b'};
  auto outcome = CreditKernel(bytes, dir.File("missing"), dir.File("urandom"), nullptr);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, CreditOutcome::kMixedOnly);
  EXPECT_EQ(ReadAll(dir.File("urandom")), "ab");
}

TEST(KernelCreditTest, FailsWhenNeitherPathWorks) {
  const testing::TempDir dir;
  const std::vector<std::uint8_t> bytes = {1};
  auto outcome = CreditKernel(bytes, dir.File("missing"), dir.File("no/such/dir/urandom"), nullptr);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace seedwell

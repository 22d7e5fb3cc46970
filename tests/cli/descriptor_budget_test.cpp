#include "cli/descriptor_budget.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace seedwell {
namespace {

TEST(DescriptorBudgetTest, DefaultsFitAGenerousLimitUnchanged) {
  ServeConfig config;
  ASSERT_TRUE(FitConnectionCaps(config, 1 << 20).has_value());
  EXPECT_EQ(config.max_connections, kDefaultGuestConnections);
  EXPECT_EQ(config.admin_max_connections, 128);
  EXPECT_EQ(config.egd.max_connections, kDefaultEgdConnections);  // no EGD: not counted
  EXPECT_LE(DescriptorsFor(config), std::size_t{1} << 20);
}

TEST(DescriptorBudgetTest, DefaultsShrinkToFit1024AndLeaveTheReserve) {
  ServeConfig config;
  config.egd.listen = "127.0.0.1:0";
  config.egd.socket_dir = "/run/seedwell/egd";
  ASSERT_TRUE(FitConnectionCaps(config, 1024).has_value());
  EXPECT_GE(config.max_connections, kMinFittedConnections);
  EXPECT_LT(config.max_connections, kDefaultGuestConnections);
  EXPECT_GE(config.egd.max_connections, kMinFittedConnections);
  EXPECT_LE(DescriptorsFor(config), 1024U);
  EXPECT_GT(DescriptorsFor(config), 1024U - 32U) << "the fit wastes little";
}

TEST(DescriptorBudgetTest, ExplicitCapsThatDoNotFitAreRefusedNamingTheSettings) {
  ServeConfig config;
  config.max_connections = 2048;
  auto fit = FitConnectionCaps(config, 1024);
  ASSERT_FALSE(fit.has_value());
  EXPECT_EQ(fit.error().code, ErrorCode::kInvalidArgument);
  for (const char* name : {"open-file limit 1024", "--max-connections 2048",
                           "--admin-max-connections 128", "--egd-max-connections", "LimitNOFILE"}) {
    EXPECT_NE(fit.error().message.find(name), std::string::npos) << name;
  }
}

TEST(DescriptorBudgetTest, ALimitTooSmallForAnyUsefulCapIsRefused) {
  ServeConfig config;
  EXPECT_FALSE(FitConnectionCaps(config, 256).has_value());
  ServeConfig explicit_fits;
  explicit_fits.max_connections = 100;
  explicit_fits.admin_max_connections = 16;
  ASSERT_TRUE(FitConnectionCaps(explicit_fits, 256).has_value());
  EXPECT_EQ(explicit_fits.max_connections, 100);
}

TEST(DescriptorBudgetTest, RaiseOpenFileLimitReachesTheHardLimit) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  rlimit lowered = before;
  lowered.rlim_cur = std::min<rlim_t>(before.rlim_max, 512);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  const std::size_t raised = RaiseOpenFileLimit();
  rlimit after{};
  ::getrlimit(RLIMIT_NOFILE, &after);
  EXPECT_EQ(after.rlim_cur, before.rlim_max);
  EXPECT_EQ(raised, static_cast<std::size_t>(after.rlim_cur));
  ::setrlimit(RLIMIT_NOFILE, &before);
}

}  // namespace
}  // namespace seedwell

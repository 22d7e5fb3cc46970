// The --host-rng-* settings: parsed from flags and the environment into ServeConfig::host_rng,
// and validated by FinishHostRngConfig (through FinishServeConfig).
#include "cli/host_rng_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>  // setenv, unsetenv

#include <string>
#include <vector>

#include "cli/serve_config.h"

namespace seedwell {
namespace {

ServeConfig Parse(const std::vector<std::string>& args) {
  CLI::App app;
  ServeConfig config;
  AddServeOptions(app, config);
  std::vector<const char*> argv = {"serve"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return config;
}

TEST(HostRngConfigTest, OffByDefault) {
  const ServeConfig c = Parse({});
  EXPECT_TRUE(c.host_rng.path.empty());
  EXPECT_EQ(c.host_rng.mode, "0660");
  EXPECT_EQ(c.host_rng.rate_bytes_per_second, 4096U);
  EXPECT_EQ(c.host_rng.burst_bytes, 16384U);
  EXPECT_TRUE(FinishHostRngConfig(c.host_rng));
}

TEST(HostRngConfigTest, FlagsAndEnvironment) {
  setenv("SEEDWELL_HOST_RNG_RATE_BYTES_PER_SECOND", "1000", 1);
  const ServeConfig c = Parse({"--host-rng-fifo", "/run/seedwell/host-rng", "--host-rng-mode",
                               "0640", "--host-rng-burst-bytes", "2000"});
  unsetenv("SEEDWELL_HOST_RNG_RATE_BYTES_PER_SECOND");
  EXPECT_EQ(c.host_rng.path, "/run/seedwell/host-rng");
  EXPECT_EQ(c.host_rng.mode, "0640");
  EXPECT_EQ(c.host_rng.rate_bytes_per_second, 1000U);
  EXPECT_EQ(c.host_rng.burst_bytes, 2000U);
  EXPECT_TRUE(FinishHostRngConfig(c.host_rng));
}

TEST(HostRngConfigTest, RefusesBadSettings) {
  HostRngOptions o;
  o.path = "/run/seedwell/host-rng";
  o.mode = "0999";
  EXPECT_FALSE(FinishHostRngConfig(o));
  o.mode = "rw";
  EXPECT_FALSE(FinishHostRngConfig(o));
  o.mode = "0660";
  o.burst_bytes = o.rate_bytes_per_second - 1;
  const auto refused = FinishHostRngConfig(o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("--host-rng-burst-bytes"), std::string::npos);
  o.burst_bytes = o.rate_bytes_per_second;
  o.path = "/run/seedwell/";
  EXPECT_FALSE(FinishHostRngConfig(o));
  EXPECT_THROW(Parse({"--host-rng-rate-bytes-per-second", "0"}), CLI::ValidationError);
}

}  // namespace
}  // namespace seedwell

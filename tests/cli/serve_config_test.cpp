#include "cli/serve_config.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>  // setenv, unsetenv

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/option_registration.h"

namespace seedwell {
namespace {

// Parses |args| (after "serve") into a fresh ServeConfig, as main does.
ServeConfig Parse(std::vector<std::string> args) {
  CLI::App app;
  ServeConfig config;
  AddServeOptions(app, config);
  std::vector<const char*> argv = {"serve"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return config;
}

class ServeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("seedwell-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    config_file_ = (dir_ / "seedwell.toml").string();
    std::ofstream(config_file_) << "guest-listen = \"10.0.0.1:1000\"\n"
                                << "admin-listen = \"10.0.0.1:2000\"\n"
                                << "reseed-interval = 30\n";
  }
  void TearDown() override {
    unsetenv("SEEDWELL_GUEST_LISTEN");
    unsetenv("SEEDWELL_ADMIN_LISTEN");
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::string config_file_;
};

TEST_F(ServeConfigTest, DefaultsApplyWithNothingSet) {
  ServeConfig c = Parse({});
  EXPECT_EQ(c.guest_listen, "127.0.0.1:8080");
  EXPECT_EQ(c.reseed_interval_s, 60);
}

TEST_F(ServeConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  setenv("SEEDWELL_GUEST_LISTEN", "10.0.0.2:1001", 1);
  setenv("SEEDWELL_ADMIN_LISTEN", "10.0.0.2:2001", 1);
  ServeConfig c = Parse({"--config", config_file_, "--admin-listen", "10.0.0.3:2002"});
  EXPECT_EQ(c.admin_listen, "10.0.0.3:2002");  // flag over environment and file
  EXPECT_EQ(c.guest_listen, "10.0.0.2:1001");  // environment over file
  EXPECT_EQ(c.reseed_interval_s, 30);          // file over default
}

TEST_F(ServeConfigTest, ConfigFileFromEnvironment) {
  setenv("SEEDWELL_CONFIG", config_file_.c_str(), 1);
  ServeConfig c = Parse({});
  unsetenv("SEEDWELL_CONFIG");
  EXPECT_EQ(c.guest_listen, "10.0.0.1:1000");

  setenv("SEEDWELL_CONFIG", (dir_ / "missing.toml").c_str(), 1);
  EXPECT_THROW(Parse({}), CLI::FileError);  // a named config file must exist
  unsetenv("SEEDWELL_CONFIG");
}

TEST_F(ServeConfigTest, RejectsOutOfRangeValues) {
  EXPECT_THROW(Parse({"--reseed-interval", "0"}), CLI::ValidationError);
  EXPECT_THROW(Parse({"--log-level", "loud"}), CLI::ValidationError);
  EXPECT_THROW(Parse({"--no-such-flag"}), CLI::ExtrasError);
}

TEST_F(ServeConfigTest, FinishFillsDerivedPathsAndValidates) {
  ServeConfig c = Parse({"--state-dir", "/srv/sw/"});
  ASSERT_TRUE(FinishServeConfig(c).has_value());
  EXPECT_EQ(c.database, "/srv/sw/seedwell.db");
  EXPECT_EQ(c.admin_token_file, "/srv/sw/admin-token");

  ServeConfig bad_source = Parse({"--sources", "rdseed,moon"});
  auto r = FinishServeConfig(bad_source);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("moon"), std::string::npos);

  ServeConfig orphan_required = Parse({"--sources", "kernel", "--require-sources", "hwrng"});
  EXPECT_FALSE(FinishServeConfig(orphan_required).has_value());

  ServeConfig half_tls = Parse({"--admin-tls-cert", "/x.pem"});
  EXPECT_FALSE(FinishServeConfig(half_tls).has_value());

  ServeConfig bad_listen = Parse({"--guest-listen", "nohostport"});
  EXPECT_FALSE(FinishServeConfig(bad_listen).has_value());
}

// --event-loops: 0 (the default) becomes one per CPU this process may use; a count is kept.
TEST_F(ServeConfigTest, EventLoopsDefaultToTheUsableCpus) {
  ServeConfig automatic = Parse({});
  EXPECT_EQ(automatic.event_loops, 0);
  ASSERT_TRUE(FinishServeConfig(automatic).has_value());
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_GE(automatic.event_loops, 1);
  EXPECT_LE(automatic.event_loops, CPU_COUNT(&set));
  ServeConfig fixed = Parse({"--event-loops", "3"});
  ASSERT_TRUE(FinishServeConfig(fixed).has_value());
  EXPECT_EQ(fixed.event_loops, 3);
  EXPECT_THROW(Parse({"--event-loops", "65"}), CLI::ValidationError);
}

// --node (SEEDWELL_NODE, as the chart's DaemonSet sets it): a node name, and only with sockets.
TEST_F(ServeConfigTest, NodeNeedsASocketDirAndAValidName) {
  ServeConfig agent = Parse({"--node", "node-a", "--egd-socket-dir", "/run/egd"});
  ASSERT_TRUE(FinishServeConfig(agent).has_value());
  EXPECT_EQ(agent.egd.node, "node-a");
  setenv("SEEDWELL_NODE", "worker-7.az1", 1);
  ServeConfig from_env = Parse({"--egd-socket-dir", "/run/egd"});
  unsetenv("SEEDWELL_NODE");
  ASSERT_TRUE(FinishServeConfig(from_env).has_value());
  EXPECT_EQ(from_env.egd.node, "worker-7.az1");
  ServeConfig none = Parse({});
  ASSERT_TRUE(FinishServeConfig(none).has_value());
  EXPECT_TRUE(none.egd.node.empty());
  ServeConfig no_dir = Parse({"--node", "node-a"});
  auto result = FinishServeConfig(no_dir);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("--egd-socket-dir"), std::string::npos);
  for (const char* bad : {"node a", "node/a", "-a", "a."}) {
    ServeConfig c = Parse({std::string("--node=") + bad, "--egd-socket-dir", "/run/egd"});
    auto refused = FinishServeConfig(c);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().message.rfind("--node: ", 0), 0U) << refused.error().message;
  }
}

TEST_F(ServeConfigTest, RefusesSourcesThatCanNeverMeetTheSeedingPolicy) {
  // The kernel alone never satisfies the default policy: refused at start, not 503 forever.
  ServeConfig kernel_only = Parse({"--sources", "kernel"});
  auto r = FinishServeConfig(kernel_only);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("--sources kernel"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("--allow-kernel-only"), std::string::npos) << r.error().message;

  ServeConfig kernel_allowed = Parse({"--sources", "kernel", "--allow-kernel-only"});
  EXPECT_TRUE(FinishServeConfig(kernel_allowed).has_value());

  ServeConfig upstream_only = Parse({"--sources", "upstream-egd", "--upstream-egd", "/run/x.sock"});
  r = FinishServeConfig(upstream_only);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("--allow-upstream-only"), std::string::npos);
  ServeConfig upstream_allowed = Parse(
      {"--sources", "upstream-egd", "--upstream-egd", "/run/x.sock", "--allow-upstream-only"});
  EXPECT_TRUE(FinishServeConfig(upstream_allowed).has_value());

  // --allow-kernel-only does not make an upstream-only list seedable, nor the reverse.
  ServeConfig crossed =
      Parse({"--sources", "upstream-egd", "--upstream-egd", "/run/x.sock", "--allow-kernel-only"});
  EXPECT_FALSE(FinishServeConfig(crossed).has_value());

  ServeConfig with_hardware = Parse({"--sources", "hwrng,kernel"});
  EXPECT_TRUE(FinishServeConfig(with_hardware).has_value());

  ServeConfig none = Parse({"--sources", ""});
  EXPECT_FALSE(FinishServeConfig(none).has_value());
}

TEST_F(ServeConfigTest, DatabaseIsAFileOrAPostgresUrlWithoutPassword) {
  ServeConfig sqlite = Parse({"--state-dir", "/s"});
  ASSERT_TRUE(FinishServeConfig(sqlite).has_value());
  EXPECT_EQ(sqlite.database, "/s/seedwell.db");

  setenv("SEEDWELL_DATABASE", "postgresql://seedwell@db:5432/seedwell?sslmode=require", 1);
  ServeConfig pg = Parse({"--database-password-file", "/run/secrets/pw",
                          "--key-encryption-key-file", "/run/secrets/kek"});
  unsetenv("SEEDWELL_DATABASE");
  EXPECT_TRUE(FinishServeConfig(pg).has_value());
  EXPECT_EQ(pg.database, "postgresql://seedwell@db:5432/seedwell?sslmode=require");
  EXPECT_EQ(pg.database_password_file, "/run/secrets/pw");

  ServeConfig with_password = Parse({"--database", "postgresql://seedwell:hunter2@db/seedwell"});
  const auto refused = FinishServeConfig(with_password);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("--database-password-file"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos);

  ServeConfig file_and_password = Parse({"--database-password-file", "/pw"});
  EXPECT_FALSE(FinishServeConfig(file_and_password).has_value());
  ServeConfig other_scheme = Parse({"--database", "mysql://u@h/db"});
  EXPECT_FALSE(FinishServeConfig(other_scheme).has_value());
}

TEST_F(ServeConfigTest, PostgresNeedsAKeyEncryptionKeyFileSqliteMayHaveOne) {
  const std::string url = "postgresql://seedwell@db:5432/seedwell";
  ServeConfig without = Parse({"--database", url});
  const auto refused = FinishServeConfig(without);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("--key-encryption-key-file is required"),
            std::string::npos);

  setenv("SEEDWELL_KEY_ENCRYPTION_KEY_FILE", "/run/secrets/kek", 1);
  ServeConfig from_env = Parse({"--database", url});
  unsetenv("SEEDWELL_KEY_ENCRYPTION_KEY_FILE");
  EXPECT_TRUE(FinishServeConfig(from_env).has_value());
  EXPECT_EQ(from_env.key_encryption_key_file, "/run/secrets/kek");

  std::ofstream(config_file_, std::ios::app) << "key-encryption-key-file = \"/etc/kek\"\n";
  ServeConfig from_file = Parse({"--config", config_file_, "--database", url});
  EXPECT_TRUE(FinishServeConfig(from_file).has_value());
  EXPECT_EQ(from_file.key_encryption_key_file, "/etc/kek");

  ServeConfig sqlite = Parse({"--key-encryption-key-file", "/etc/kek"});  // checked, unused
  EXPECT_TRUE(FinishServeConfig(sqlite).has_value());
}

TEST(ParseHostPortTest, AcceptsV4V6AndRejectsGarbage) {
  auto v4 = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 0);
  auto v6 = ParseHostPort("[::1]:8443");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8443);
  for (const char* bad : {"", ":80", "host:", "host:65536", "host:8o", "[::1:80", "host:123456"}) {
    EXPECT_FALSE(ParseHostPort(bad).has_value()) << bad;
  }
}

TEST(EnvironmentNameTest, MapsFlagNames) {
  EXPECT_EQ(EnvironmentName("guest-listen"), "SEEDWELL_GUEST_LISTEN");
  EXPECT_EQ(EnvironmentName("state-dir"), "SEEDWELL_STATE_DIR");
}

}  // namespace
}  // namespace seedwell

#include "service/instance.h"

#include <gtest/gtest.h>

#include <string>

namespace seedwell {
namespace {

constexpr const char* kId = "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11";
// base64 of 32 bytes 0x01..0x20.
constexpr const char* kSealingKey = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

Instance ValidInstance() {
  Instance instance;
  instance.id = kId;
  instance.project_id = "p1";
  instance.name = "web 1";
  instance.hostname = "web-1.example.org";
  return instance;
}

ErrorCode CodeOf(const Instance& instance) { return NormalizeInstance(instance).error().code; }

TEST(CanonicalUuidTest, LowercasesValidAndRejectsInvalid) {
  EXPECT_EQ(*CanonicalUuid("0F8E2E04-2D6D-4A1E-9C43-5A1F8F4A2B11"), kId);
  for (const char* bad :
       {"", "0f8e2e04", "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b1",
        "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11a", "0f8e2e04x2d6d-4a1e-9c43-5a1f8f4a2b11",
        "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b1g", "{f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b1}"}) {
    auto result = CanonicalUuid(bad, "instance-id");
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(result.error().message.find("instance-id"), std::string::npos);
  }
}

// A host is a compute node name (Nova's host, a Kubernetes node name): bounded, no odd characters.
TEST(CheckHostTest, AcceptsNodeNamesAndRefusesTheRest) {
  for (const char* good :
       {"a", "node-a", "compute_07", "cmp-1.az1.example.org", "Node7", "10.0.0.1"}) {
    EXPECT_TRUE(CheckHost(good).has_value()) << good;
  }
  EXPECT_TRUE(CheckHost(std::string(kMaxHostLength, 'h')).has_value());
  const std::string too_long(kMaxHostLength + 1, 'h');
  for (const std::string& bad :
       {std::string(), too_long, std::string("-node"), std::string("node-"), std::string(".a"),
        std::string("a."), std::string("node a"), std::string("node/a"), std::string("n\x01"),
        std::string("n\0a", 3), std::string("n\xc3\xa9"), std::string("a:b"),
        std::string("../x")}) {
    auto result = CheckHost(bad, "--node");
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(result.error().message.rfind("--node: ", 0), 0U) << result.error().message;
  }
}

TEST(NormalizeInstanceTest, ChecksTheHost) {
  Instance instance = ValidInstance();
  instance.host = "node-a";
  EXPECT_TRUE(NormalizeInstance(instance).has_value());
  instance.host = "node a";
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance.host = "";
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance.host.reset();
  EXPECT_TRUE(NormalizeInstance(instance).has_value());
}

TEST(NormalizeInstanceTest, AcceptsAndNormalises) {
  Instance instance = ValidInstance();
  instance.id = "0F8E2E04-2D6D-4A1E-9C43-5A1F8F4A2B11";
  instance.allowed_cidrs = {"10.1.2.0/24", "2001:DB8::/32", "10.1.2.0/24", "192.0.2.7"};
  instance.rate_limit = RateLimit{1024, 4096};
  instance.sealing_public_key = kSealingKey;
  instance.metadata = {{"role", "web"}};
  auto normalized = NormalizeInstance(instance);
  ASSERT_TRUE(normalized.has_value()) << normalized.error().message;
  EXPECT_EQ(normalized->id, kId);
  EXPECT_EQ(normalized->allowed_cidrs,
            (std::vector<std::string>{"10.1.2.0/24", "2001:db8::/32", "192.0.2.7/32"}));
}

TEST(NormalizeInstanceTest, RejectsEachBadField) {
  Instance instance = ValidInstance();
  instance.id = "nope";
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  instance.project_id = "";
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  instance.name = std::string(256, 'n');
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  instance.availability_zone = "nova\n";
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  for (const char* hostname : {"-web", "web_1", "a..b", "web.", "x y"}) {
    instance = ValidInstance();
    instance.hostname = hostname;
    EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition) << hostname;
  }
  instance = ValidInstance();
  instance.hostname = std::string(64, 'a');
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  for (int i = 0; i <= 128; ++i) instance.metadata["k" + std::to_string(i)] = "v";
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  instance.metadata = {{"", "v"}};
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance.metadata = {{"k", std::string(256, 'v')}};
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  instance.allowed_cidrs = {"10.0.0.1/24"};  // host bits set
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance.allowed_cidrs = std::vector<std::string>(65, "10.0.0.0/8");
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  instance.rate_limit = RateLimit{0, 10};
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance.rate_limit = RateLimit{100, 99};  // burst below rate
  auto result = NormalizeInstance(instance);
  EXPECT_EQ(result.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(result.error().message.find("burst_bytes"), std::string::npos);
  instance.rate_limit = RateLimit{kMaxBytesPerSecond + 1, kMaxBurstBytes};
  EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition);
  instance = ValidInstance();
  for (const char* key : {"AQID", "not base64!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                          "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"}) {
    instance.sealing_public_key = key;
    EXPECT_EQ(CodeOf(instance), ErrorCode::kFailedPrecondition) << key;
  }
}

TEST(ApplyPatchTest, ChangesOnlyPatchedFieldsAndClears) {
  Instance instance = *NormalizeInstance(ValidInstance());
  instance.rate_limit = RateLimit{10, 20};
  instance.sealing_public_key = kSealingKey;
  InstancePatch patch;
  patch.name = "renamed";
  patch.rate_limit.emplace(std::nullopt);
  patch.sealing_public_key.emplace(std::nullopt);
  auto patched = ApplyPatch(instance, patch);
  ASSERT_TRUE(patched.has_value());
  EXPECT_EQ(patched->name, "renamed");
  EXPECT_EQ(patched->hostname, instance.hostname);
  EXPECT_FALSE(patched->rate_limit.has_value());
  EXPECT_FALSE(patched->sealing_public_key.has_value());
  EXPECT_EQ(instance.name, "web 1");  // the input is untouched
  InstancePatch bad;
  bad.allowed_cidrs = std::vector<std::string>{"300.0.0.0/8"};
  EXPECT_EQ(ApplyPatch(instance, bad).error().code, ErrorCode::kFailedPrecondition);
}

TEST(CidrTest, ParsesAndFormatsV4AndV6) {
  EXPECT_EQ(FormatCidr(*ParseCidr("0.0.0.0/0")), "0.0.0.0/0");
  EXPECT_EQ(FormatCidr(*ParseCidr("2001:0db8:0000::/48")), "2001:db8::/48");
  EXPECT_EQ(FormatCidr(*ParseCidr("::1")), "::1/128");
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1",
                          "10.0.0.0/8/8", "10.0.0/8", "10.0.0.256/32", "::/129", "fe80::1%eth0/128",
                          "::ffff:10.0.0.0/104", "10.0.0.0 /8", "2001:db8::1/64"}) {
    auto cidr = ParseCidr(bad);
    ASSERT_FALSE(cidr.has_value()) << bad;
    EXPECT_EQ(cidr.error().code, ErrorCode::kFailedPrecondition);
  }
}

TEST(CidrTest, ContainsRespectsPrefixAndFamily) {
  const Cidr v4 = *ParseCidr("10.1.0.0/17");
  EXPECT_TRUE(CidrContains(v4, *ParseIpAddress("10.1.0.1")));
  EXPECT_TRUE(CidrContains(v4, *ParseIpAddress("10.1.127.255")));
  EXPECT_FALSE(CidrContains(v4, *ParseIpAddress("10.1.128.0")));
  EXPECT_TRUE(CidrContains(v4, *ParseIpAddress("::ffff:10.1.2.3")));  // v4-mapped
  EXPECT_FALSE(CidrContains(v4, *ParseIpAddress("::a01:203")));       // v4-compatible is v6
  const Cidr v6 = *ParseCidr("2001:db8:ff00::/40");
  EXPECT_TRUE(CidrContains(v6, *ParseIpAddress("2001:db8:ff12::1")));
  EXPECT_FALSE(CidrContains(v6, *ParseIpAddress("2001:db8:fe00::1")));
  EXPECT_FALSE(CidrContains(v6, *ParseIpAddress("10.1.0.1")));
  EXPECT_TRUE(CidrContains(*ParseCidr("::/0"), *ParseIpAddress("::1")));
  EXPECT_FALSE(CidrContains(*ParseCidr("::/0"), *ParseIpAddress("127.0.0.1")));
  EXPECT_TRUE(CidrContains(*ParseCidr("0.0.0.0/0"), *ParseIpAddress("255.255.255.255")));
  for (const char* bad : {"", "10.0.0", "10.0.0.0.1", "host", "1::2::3"}) {
    EXPECT_EQ(ParseIpAddress(bad).error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(SourceAllowedTest, EmptyListAllowsAnyAndListRestricts) {
  Instance instance = ValidInstance();
  EXPECT_TRUE(SourceAllowed(instance, "203.0.113.9"));
  instance.allowed_cidrs = {"192.0.2.0/24", "2001:db8::/32"};
  EXPECT_TRUE(SourceAllowed(instance, "192.0.2.200"));
  EXPECT_TRUE(SourceAllowed(instance, "2001:db8::5"));
  EXPECT_FALSE(SourceAllowed(instance, "192.0.3.1"));
  EXPECT_FALSE(SourceAllowed(instance, "garbage"));
}

TEST(InstanceStateTest, NamesRoundTrip) {
  EXPECT_EQ(*ParseInstanceState(InstanceStateName(InstanceState::kActive)), InstanceState::kActive);
  EXPECT_EQ(*ParseInstanceState("revoked"), InstanceState::kRevoked);
  EXPECT_EQ(ParseInstanceState("Active").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedwell

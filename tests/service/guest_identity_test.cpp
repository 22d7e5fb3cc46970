#include "service/guest_identity.h"

#include <gtest/gtest.h>

#include <cstring>

#include "service/credentials.h"
#include "tests/testutil/guest_fixture.h"

namespace seedwell {
namespace {

using testing::kGuestId;

SecretBuffer Secret(const char* text) {
  SecretBuffer s(std::strlen(text));
  std::memcpy(s.data(), text, s.size());
  return s;
}

class GuestIdentityTest : public testing::GuestFixture {
 protected:
  GuestIdentifier Make(GuestIdentityOptions o) {
    return GuestIdentifier(std::move(o), *registry_, *addresses_);
  }
};

TEST_F(GuestIdentityTest, TokenModeAcceptsOnlyAValidToken) {
  auto id = Make(GuestIdentityOptions());
  const std::string bearer = "Bearer " + token_;
  GuestCredentials c;
  c.peer_address = "10.0.0.1";
  c.authorization = {bearer};
  auto who = id.Identify(c);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->instance->id, kGuestId);
  EXPECT_EQ(who->mode, IdentityMode::kToken);
  c.authorization = {"Bearer swi_nonsense"};
  EXPECT_EQ(id.Identify(c).error().code, ErrorCode::kUnauthenticated);
  c.authorization = {bearer, bearer};
  EXPECT_EQ(id.Identify(c).error().code, ErrorCode::kInvalidArgument);
  c.authorization = {};
  EXPECT_EQ(id.Identify(c).error().code, ErrorCode::kUnauthenticated);
  ASSERT_TRUE(registry_->Revoke(kGuestId).has_value());
  c.authorization = {bearer};
  EXPECT_EQ(id.Identify(c).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(GuestIdentityTest, TryIdentifyNeedsTheStoreOnlyForUncachedCallers) {
  GuestIdentityOptions o;
  o.proxy = true;
  o.proxy_secret = Secret("s3cret");
  o.allow_anonymous = true;
  auto id = Make(std::move(o));
  const std::string bearer = "Bearer " + token_;
  GuestCredentials c;
  c.peer_address = "10.0.0.1";
  c.authorization = {bearer};
  EXPECT_FALSE(id.TryIdentify(c).has_value());  // the token is not cached yet
  ASSERT_TRUE(id.Identify(c).has_value());
  auto cached = id.TryIdentify(c);
  ASSERT_TRUE(cached.has_value());
  ASSERT_TRUE(cached->has_value());
  EXPECT_EQ((*cached)->instance->id, kGuestId);
  c.authorization = {bearer, bearer};  // refused without the store
  EXPECT_EQ(id.TryIdentify(c)->error().code, ErrorCode::kInvalidArgument);
  c.authorization = {};
  c.instance_id = {kGuestId};  // a proxy request always reads the store
  EXPECT_FALSE(id.TryIdentify(c).has_value());
  c.instance_id = {};
  auto anonymous = id.TryIdentify(c);
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_EQ((*anonymous)->mode, IdentityMode::kAnonymous);
}

TEST_F(GuestIdentityTest, TokenFromOutsideAllowedCidrsIsDenied) {
  InstancePatch patch;
  patch.allowed_cidrs = std::vector<std::string>{"10.0.0.5/32"};
  ASSERT_TRUE(registry_->Update(kGuestId, patch).has_value());
  auto id = Make(GuestIdentityOptions());
  const std::string bearer = "Bearer " + token_;
  GuestCredentials c;
  c.authorization = {bearer};
  c.peer_address = "10.0.0.5";
  EXPECT_TRUE(id.Identify(c).has_value());
  c.peer_address = "10.0.0.6";
  EXPECT_EQ(id.Identify(c).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(GuestIdentityTest, ProxyModeFollowsNova) {
  GuestIdentityOptions o;
  o.proxy = true;
  o.proxy_secret = Secret("s3cret");
  auto id = Make(std::move(o));
  const std::array<std::uint8_t, 6> secret = {'s', '3', 'c', 'r', 'e', 't'};
  const std::string sig = ComputeInstanceIdSignature(secret, kGuestId);
  GuestCredentials c;
  c.peer_address = "192.0.2.1";
  c.instance_id = {kGuestId};
  c.tenant_id = {"p"};
  c.signature = {sig};
  auto who = id.Identify(c);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->mode, IdentityMode::kProxy);
  GuestCredentials bad = c;
  const std::string forged(64, 'a');
  bad.signature = {forged};
  EXPECT_EQ(id.Identify(bad).error().code, ErrorCode::kPermissionDenied);
  bad = c;
  bad.tenant_id = {};
  EXPECT_EQ(id.Identify(bad).error().code, ErrorCode::kInvalidArgument);
  bad = c;
  bad.instance_id = {kGuestId, kGuestId};
  EXPECT_EQ(id.Identify(bad).error().code, ErrorCode::kInvalidArgument);
  bad = c;
  bad.tenant_id = {"other"};
  EXPECT_EQ(id.Identify(bad).error().code, ErrorCode::kNotFound);
}

TEST_F(GuestIdentityTest, ProxyModeWithoutSecretRefusesToStart) {
  GuestIdentityOptions o;
  o.proxy = true;
  EXPECT_THROW(Make(std::move(o)), std::invalid_argument);
}

TEST_F(GuestIdentityTest, ForwardedForTrustedOnlyFromTrustedProxies) {
  InstancePatch patch;
  patch.allowed_cidrs = std::vector<std::string>{"10.9.9.9/32"};
  ASSERT_TRUE(registry_->Update(kGuestId, patch).has_value());
  GuestIdentityOptions o;
  o.token = false;
  o.source_address = true;
  o.trusted_proxies = {*ParseCidr("127.0.0.0/8")};
  auto id = Make(std::move(o));
  GuestCredentials c;
  c.peer_address = "127.0.0.1";
  c.forwarded_for = {"10.9.9.9"};
  auto who = id.Identify(c);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->instance->id, kGuestId);
  EXPECT_EQ(who->source_address, "10.9.9.9");
  c.peer_address = "192.0.2.7";  // untrusted: the header is ignored
  EXPECT_EQ(id.Identify(c).error().code, ErrorCode::kUnauthenticated);
  c.peer_address = "10.9.9.9";  // the real peer is registered
  c.forwarded_for = {"203.0.113.1"};
  EXPECT_TRUE(id.Identify(c).has_value());

  GuestIdentityOptions refuse;
  refuse.source_address = true;
  refuse.refuse_untrusted_forwarded_for = true;
  auto strict = Make(std::move(refuse));
  EXPECT_EQ(strict.Identify(c).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(GuestIdentityTest, AnonymousOnlyWhenAllowed) {
  GuestIdentityOptions o;
  o.allow_anonymous = true;
  o.anonymous_limits = {1, 100};
  auto id = Make(std::move(o));
  GuestCredentials c;
  c.peer_address = "198.51.100.4";
  auto who = id.Identify(c);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->mode, IdentityMode::kAnonymous);
  EXPECT_EQ(who->instance->id, "anonymous:198.51.100.4");
  ASSERT_TRUE(who->instance->rate_limit.has_value());
  EXPECT_EQ(who->instance->rate_limit->burst_bytes, 100U);
}

}  // namespace
}  // namespace seedwell

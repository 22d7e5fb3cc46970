#include "service/instance_json.h"

#include <gtest/gtest.h>

#include <string>

namespace seedwell {
namespace {

constexpr const char* kId = "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11";

std::string CreateBody(const std::string& extra) {
  return std::string(R"({"id": ")") + kId + R"(", "project_id": "p1")" + extra + "}";
}

TEST(InstanceJsonTest, ParsesAFullCreateBody) {
  auto instance = InstanceFromCreateJson(CreateBody(
      R"(, "name": "web", "hostname": "web-1", "availability_zone": "az1",
          "metadata": {"role": "db"}, "allowed_cidrs": ["10.0.0.0/8"],
          "rate_limit": {"bytes_per_second": 100, "burst_bytes": 200},
          "sealing_public_key": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")"));
  ASSERT_TRUE(instance.has_value()) << instance.error().message;
  EXPECT_EQ(instance->id, kId);
  EXPECT_EQ(instance->hostname, "web-1");
  EXPECT_EQ(instance->metadata.at("role"), "db");
  EXPECT_EQ(instance->rate_limit, (RateLimit{100, 200}));
  EXPECT_TRUE(instance->sealing_public_key.has_value());
}

// Each malformed field is kInvalidArgument with the field named in the message.
TEST(InstanceJsonTest, RejectsMalformedCreateFields) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(, "name": 5)", "name"},
      {R"(, "hostname": null)", "hostname"},
      {R"(, "availability_zone": [])", "availability_zone"},
      {R"(, "metadata": {"a": 1})", "metadata"},
      {R"(, "metadata": "x")", "metadata"},
      {R"(, "allowed_cidrs": "10.0.0.0/8")", "allowed_cidrs"},
      {R"(, "allowed_cidrs": [1])", "allowed_cidrs"},
      {R"(, "rate_limit": 5)", "rate_limit"},
      {R"(, "rate_limit": {"bytes_per_second": -1, "burst_bytes": 2})", "bytes_per_second"},
      {R"(, "rate_limit": {"bytes_per_second": 1.5, "burst_bytes": 2})", "bytes_per_second"},
      {R"(, "rate_limit": {"bytes_per_second": 1})", "burst_bytes"},
      {R"(, "rate_limit": {"bytes_per_second": 1, "burst_bytes": 2, "x": 1})", "rate_limit.x"},
      {R"(, "sealing_public_key": 7)", "sealing_public_key"},
      {R"(, "state": "active")", "state"},
      {R"(, "created_at": "2024-01-01T00:00:00Z")", "created_at"},
      {R"(, "bytes_issued": 0)", "bytes_issued"},
      {R"(, "colour": "blue")", "colour"},
  };
  for (const auto& [extra, field] : cases) {
    auto result = InstanceFromCreateJson(CreateBody(extra));
    ASSERT_FALSE(result.has_value()) << extra;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << extra;
    EXPECT_NE(result.error().message.find(field), std::string::npos) << result.error().message;
  }
  for (const char* body : {"", "{", "[]", "null", R"({"project_id": "p"})", R"({"id": 1})",
                           R"({"id": "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11"})"}) {
    EXPECT_EQ(InstanceFromCreateJson(body).error().code, ErrorCode::kInvalidArgument) << body;
  }
}

TEST(InstanceJsonTest, SemanticErrorsAreFailedPrecondition) {
  for (const char* extra : {R"(, "allowed_cidrs": ["10.0.0.1/8"])", R"(, "hostname": "-x")",
                            R"(, "rate_limit": {"bytes_per_second": 10, "burst_bytes": 5})",
                            R"(, "sealing_public_key": "AQID")"}) {
    EXPECT_EQ(InstanceFromCreateJson(CreateBody(extra)).error().code,
              ErrorCode::kFailedPrecondition)
        << extra;
  }
  EXPECT_EQ(InstanceFromCreateJson(R"({"id": "nope", "project_id": "p"})").error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(InstanceJsonTest, ParsesPatchAndRefusesImmutableFields) {
  auto patch = InstancePatchFromJson(
      R"({"name": "n", "rate_limit": null, "sealing_public_key": null, "metadata": {}})");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(patch->name, "n");
  ASSERT_TRUE(patch->rate_limit.has_value());
  EXPECT_FALSE(patch->rate_limit->has_value());
  ASSERT_TRUE(patch->sealing_public_key.has_value());
  EXPECT_FALSE(patch->sealing_public_key->has_value());
  EXPECT_FALSE(patch->hostname.has_value());
  for (const char* body : {R"({"id": "x"})", R"({"project_id": "x"})", R"({"state": "revoked"})",
                           R"({"updated_at": 1})", R"({"last_seen_at": 1})", R"({"nope": 1})",
                           R"({"name": false})", "[1]", "not json"}) {
    EXPECT_EQ(InstancePatchFromJson(body).error().code, ErrorCode::kInvalidArgument) << body;
  }
}

TEST(InstanceJsonTest, RendersEveryField) {
  Instance instance;
  instance.id = kId;
  instance.project_id = "p1";
  instance.created_at_ms = 1714979289010;  // 2024-05-06T07:08:09.010Z
  instance.updated_at_ms = 0;
  instance.bytes_issued = 42;
  auto json = InstanceToJson(instance);
  EXPECT_EQ(json["id"], kId);
  EXPECT_EQ(json["state"], "active");
  EXPECT_EQ(json["created_at"], "2024-05-06T07:08:09.010Z");
  EXPECT_EQ(json["updated_at"], "1970-01-01T00:00:00.000Z");
  EXPECT_TRUE(json["last_seen_at"].is_null());
  EXPECT_TRUE(json["rate_limit"].is_null());
  EXPECT_EQ(json["bytes_issued"], 42);
  EXPECT_TRUE(json["host"].is_null());
  EXPECT_EQ(json.size(), 15U);
  instance.rate_limit = RateLimit{1, 2};
  instance.last_seen_at_ms = 1000;
  instance.state = InstanceState::kRevoked;
  json = InstanceToJson(instance);
  EXPECT_EQ(json["rate_limit"]["burst_bytes"], 2);
  EXPECT_EQ(json["last_seen_at"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(json["state"], "revoked");
}

// host: a string on create and PATCH, null clears it on PATCH, rendered (null when unset).
TEST(InstanceJsonTest, HostIsSetPatchedClearedAndRendered) {
  auto instance = InstanceFromCreateJson(CreateBody(R"(, "host": "compute-7.az1")"));
  ASSERT_TRUE(instance.has_value()) << instance.error().message;
  EXPECT_EQ(instance->host, "compute-7.az1");
  EXPECT_EQ(InstanceToJson(*instance)["host"], "compute-7.az1");
  auto moved = InstancePatchFromJson(R"({"host": "compute-8"})");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(ApplyPatch(*instance, *moved)->host, "compute-8");
  auto cleared = InstancePatchFromJson(R"({"host": null})");
  ASSERT_TRUE(cleared.has_value() && cleared->host.has_value());
  EXPECT_FALSE(ApplyPatch(*instance, *cleared)->host.has_value());
  auto untouched = InstancePatchFromJson(R"({"name": "x"})");
  EXPECT_EQ(ApplyPatch(*instance, *untouched)->host, "compute-7.az1");
  for (const char* body : {R"({"host": 7})", R"({"host": ["a"]})"}) {
    EXPECT_EQ(InstancePatchFromJson(body).error().code, ErrorCode::kInvalidArgument) << body;
  }
  EXPECT_EQ(InstanceFromCreateJson(CreateBody(R"(, "host": 1)")).error().code,
            ErrorCode::kInvalidArgument);
  for (const char* extra :
       {R"(, "host": "")", R"(, "host": "a b")", R"(, "host": "-a")", R"(, "host": "a/b")"}) {
    auto result = InstanceFromCreateJson(CreateBody(extra));
    ASSERT_FALSE(result.has_value()) << extra;
    EXPECT_EQ(result.error().code, ErrorCode::kFailedPrecondition) << extra;
    EXPECT_NE(result.error().message.find("host"), std::string::npos) << result.error().message;
  }
}

TEST(VendordataJsonTest, ParsesNovasBody) {
  auto request = VendordataFromJson(
      R"({"project-id": "p1", "instance-id": "0F8E2E04-2D6D-4A1E-9C43-5A1F8F4A2B11",
          "image-id": "img", "user-data": null, "hostname": "vm1", "metadata": {"a": "b"},
          "boot-roles": "member"})");
  ASSERT_TRUE(request.has_value()) << request.error().message;
  EXPECT_EQ(request->instance_id, kId);
  EXPECT_EQ(request->project_id, "p1");
  EXPECT_EQ(request->hostname, "vm1");
  EXPECT_EQ(request->metadata.at("a"), "b");
}

TEST(VendordataJsonTest, RejectsBadBodies) {
  const std::pair<const char*, ErrorCode> cases[] = {
      {"nope", ErrorCode::kInvalidArgument},
      {R"({"project-id": "p"})", ErrorCode::kInvalidArgument},
      {R"({"instance-id": "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11"})", ErrorCode::kInvalidArgument},
      {R"({"project-id": 1, "instance-id": "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11"})",
       ErrorCode::kInvalidArgument},
      {R"({"project-id": "p", "instance-id": "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11", "hostname": 1})",
       ErrorCode::kInvalidArgument},
      {R"({"project-id": "p", "instance-id": "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11", "metadata": [1]})",
       ErrorCode::kInvalidArgument},
      {R"({"project-id": "p", "instance-id": "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11", "user-data": 5})",
       ErrorCode::kInvalidArgument},
      {R"({"project-id": "p", "instance-id": "i-123"})", ErrorCode::kFailedPrecondition},
  };
  for (const auto& [body, code] : cases) {
    auto result = VendordataFromJson(body);
    ASSERT_FALSE(result.has_value()) << body;
    EXPECT_EQ(result.error().code, code) << body;
  }
}

}  // namespace
}  // namespace seedwell

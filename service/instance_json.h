// Instance JSON: the admin API's representation of an Instance, and Nova's vendordata body.
//
// Parsers take untrusted bytes and never throw. They follow the error convention of instance.h:
// kInvalidArgument for malformed input (bad JSON, wrong type, unknown, read-only or missing
// field; the message names the field), kFailedPrecondition for well-formed but invalid values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/result.h"
#include "service/instance.h"

namespace seedwell {

// InstanceFromCreateJson parses a create body: `id` and `project_id` are required; `name`,
// `hostname`, `availability_zone`, `metadata`, `allowed_cidrs`, `rate_limit`,
// `sealing_public_key` and `host` are optional. Server-set fields are rejected. The result is
// normalised.
Result<Instance> InstanceFromCreateJson(std::string_view body);

// InstancePatchFromJson parses a PATCH body (a JSON object of the fields InstancePatch holds).
// `rate_limit`, `sealing_public_key` and `host` may be null to clear them. Values are checked when
// the patch is applied (ApplyPatch), so semantic errors surface there.
Result<InstancePatch> InstancePatchFromJson(std::string_view body);

// InstanceToJson renders |instance| with every field; times as RFC 3339 UTC, an unset
// `rate_limit`, `sealing_public_key`, `host` or `last_seen_at` as null.
nlohmann::json InstanceToJson(const Instance& instance);

// FormatRfc3339 renders Unix milliseconds as RFC 3339 UTC with milliseconds,
// e.g. "2024-05-06T07:08:09.010Z".
std::string FormatRfc3339(std::int64_t unix_ms);

// VendordataRequest is what seedwell keeps of Nova's dynamic vendordata POST body.
struct VendordataRequest {
  std::string instance_id;  // canonical lowercase UUID
  std::string project_id;
  std::string hostname;
  std::map<std::string, std::string> metadata;
};

// VendordataFromJson parses Nova's body {"project-id", "instance-id", "hostname", "metadata",
// "image-id", "user-data", ...}. Unknown fields are ignored (Nova adds fields between releases,
// e.g. "boot-roles"); `image-id` and `user-data` are type-checked and dropped (user data may hold
// secrets and is none of seedwell's business).
Result<VendordataRequest> VendordataFromJson(std::string_view body);

}  // namespace seedwell

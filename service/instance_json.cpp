#include "service/instance_json.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

#include "crypto/bounded_json.h"

namespace seedwell {
namespace {

using nlohmann::json;

tl::unexpected<Error> Malformed(std::string_view field, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument, std::string(field) + ": " + std::string(what));
}

Result<json> ParseObject(std::string_view body) {
  auto doc = ParseBoundedJson(body);
  if (!doc) return Fail(ErrorCode::kInvalidArgument, "body: " + doc.error().message);
  if (!doc->is_object()) return Fail(ErrorCode::kInvalidArgument, "body: not a JSON object");
  return doc;
}

Result<std::string> GetString(const json& value, std::string_view field) {
  if (!value.is_string()) return Malformed(field, "must be a string");
  return value.get<std::string>();
}

Result<std::uint64_t> GetUnsigned(const json& value, std::string_view field) {
  if (!value.is_number_unsigned()) return Malformed(field, "must be a non-negative integer");
  return value.get<std::uint64_t>();
}

Result<std::map<std::string, std::string>> GetStringMap(const json& value, std::string_view field) {
  if (!value.is_object()) return Malformed(field, "must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) return Malformed(field, "value of '" + key + "' must be a string");
    out.emplace(key, item.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> GetStringList(const json& value, std::string_view field) {
  if (!value.is_array()) return Malformed(field, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) return Malformed(field, "every element must be a string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<RateLimit> GetRateLimit(const json& value) {
  if (!value.is_object()) return Malformed("rate_limit", "must be an object");
  RateLimit limit;
  bool have_rate = false;
  bool have_burst = false;
  for (const auto& [key, item] : value.items()) {
    if (key == "bytes_per_second") {
      auto v = GetUnsigned(item, "rate_limit.bytes_per_second");
      SEEDWELL_RETURN_IF_ERROR(v);
      limit.bytes_per_second = *v;
      have_rate = true;
    } else if (key == "burst_bytes") {
      auto v = GetUnsigned(item, "rate_limit.burst_bytes");
      SEEDWELL_RETURN_IF_ERROR(v);
      limit.burst_bytes = *v;
      have_burst = true;
    } else {
      return Malformed("rate_limit." + key, "unknown field");
    }
  }
  if (!have_rate) return Malformed("rate_limit.bytes_per_second", "is required");
  if (!have_burst) return Malformed("rate_limit.burst_bytes", "is required");
  return limit;
}

bool IsReadOnlyField(std::string_view key) {
  return key == "state" || key == "created_at" || key == "updated_at" || key == "last_seen_at" ||
         key == "bytes_issued";
}

// ParseMutable fills the patchable fields of |patch| from one (key, value) pair. It returns
// false in |*known| when the key is not a patchable field.
Result<void> ParseMutable(const std::string& key, const json& value, InstancePatch* patch,
                          bool* known) {
  *known = true;
  const auto assign = [](auto result, auto* target) -> Result<void> {
    SEEDWELL_RETURN_IF_ERROR(result);
    *target = std::move(*result);
    return {};
  };
  if (key == "name") return assign(GetString(value, key), &patch->name);
  if (key == "hostname") return assign(GetString(value, key), &patch->hostname);
  if (key == "availability_zone") return assign(GetString(value, key), &patch->availability_zone);
  if (key == "metadata") return assign(GetStringMap(value, key), &patch->metadata);
  if (key == "allowed_cidrs") return assign(GetStringList(value, key), &patch->allowed_cidrs);
  if (key == "rate_limit") {
    if (value.is_null()) {
      patch->rate_limit.emplace(std::nullopt);
      return {};
    }
    auto limit = GetRateLimit(value);
    SEEDWELL_RETURN_IF_ERROR(limit);
    patch->rate_limit.emplace(*limit);
    return {};
  }
  if (key == "sealing_public_key") {
    if (value.is_null()) {
      patch->sealing_public_key.emplace(std::nullopt);
      return {};
    }
    auto text = GetString(value, key);
    SEEDWELL_RETURN_IF_ERROR(text);
    patch->sealing_public_key.emplace(std::move(*text));
    return {};
  }
  if (key == "host") {
    if (value.is_null()) {
      patch->host.emplace(std::nullopt);
      return {};
    }
    auto text = GetString(value, key);
    SEEDWELL_RETURN_IF_ERROR(text);
    patch->host.emplace(std::move(*text));
    return {};
  }
  *known = false;
  return {};
}

}  // namespace

Result<InstancePatch> InstancePatchFromJson(std::string_view body) {
  auto doc = ParseObject(body);
  SEEDWELL_RETURN_IF_ERROR(doc);
  InstancePatch patch;
  for (const auto& [key, value] : doc->items()) {
    bool known = false;
    auto parsed = ParseMutable(key, value, &patch, &known);
    SEEDWELL_RETURN_IF_ERROR(parsed);
    if (known) continue;
    if (key == "id" || key == "project_id" || IsReadOnlyField(key)) {
      return Malformed(key, "cannot be changed");
    }
    return Malformed(key, "unknown field");
  }
  return patch;
}

Result<Instance> InstanceFromCreateJson(std::string_view body) {
  auto doc = ParseObject(body);
  SEEDWELL_RETURN_IF_ERROR(doc);
  Instance instance;
  InstancePatch patch;
  bool have_id = false;
  bool have_project = false;
  for (const auto& [key, value] : doc->items()) {
    if (key == "id" || key == "project_id") {
      auto text = GetString(value, key);
      SEEDWELL_RETURN_IF_ERROR(text);
      (key == "id" ? instance.id : instance.project_id) = std::move(*text);
      (key == "id" ? have_id : have_project) = true;
      continue;
    }
    bool known = false;
    auto parsed = ParseMutable(key, value, &patch, &known);
    SEEDWELL_RETURN_IF_ERROR(parsed);
    if (known) continue;
    if (IsReadOnlyField(key)) return Malformed(key, "is set by the server");
    return Malformed(key, "unknown field");
  }
  if (!have_id) return Malformed("id", "is required");
  if (!have_project) return Malformed("project_id", "is required");
  return ApplyPatch(instance, patch);
}

std::string FormatRfc3339(std::int64_t unix_ms) {
  std::int64_t seconds = unix_ms / 1000;
  std::int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 40> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  const int written =
      std::snprintf(text.data() + length, text.size() - length, ".%03dZ", static_cast<int>(millis));
  if (length == 0 || written != 5) return "invalid-time";  // only for years past 9999
  return {text.data(), length + 5};
}

json InstanceToJson(const Instance& instance) {
  json out = {
      {"id", instance.id},
      {"project_id", instance.project_id},
      {"name", instance.name},
      {"hostname", instance.hostname},
      {"availability_zone", instance.availability_zone},
      {"metadata", instance.metadata},
      {"allowed_cidrs", instance.allowed_cidrs},
      {"rate_limit", nullptr},
      {"sealing_public_key", nullptr},
      {"host", nullptr},
      {"state", InstanceStateName(instance.state)},
      {"created_at", FormatRfc3339(instance.created_at_ms)},
      {"updated_at", FormatRfc3339(instance.updated_at_ms)},
      {"last_seen_at", nullptr},
      {"bytes_issued", instance.bytes_issued},
  };
  if (instance.rate_limit) {
    out["rate_limit"] = {{"bytes_per_second", instance.rate_limit->bytes_per_second},
                         {"burst_bytes", instance.rate_limit->burst_bytes}};
  }
  if (instance.sealing_public_key) out["sealing_public_key"] = *instance.sealing_public_key;
  if (instance.host) out["host"] = *instance.host;
  if (instance.last_seen_at_ms) out["last_seen_at"] = FormatRfc3339(*instance.last_seen_at_ms);
  return out;
}

Result<VendordataRequest> VendordataFromJson(std::string_view body) {
  auto doc = ParseObject(body);
  SEEDWELL_RETURN_IF_ERROR(doc);
  VendordataRequest request;
  const auto required_string = [&](const char* field, std::string* target) -> Result<void> {
    const auto it = doc->find(field);
    if (it == doc->end()) return Malformed(field, "is required");
    auto text = GetString(*it, field);
    SEEDWELL_RETURN_IF_ERROR(text);
    *target = std::move(*text);
    return {};
  };
  for (const auto& check : {required_string("instance-id", &request.instance_id),
                            required_string("project-id", &request.project_id)}) {
    SEEDWELL_RETURN_IF_ERROR(check);
  }
  auto id = CanonicalUuid(request.instance_id, "instance-id");
  SEEDWELL_RETURN_IF_ERROR(id);
  request.instance_id = std::move(*id);
  for (const char* field : {"hostname", "image-id", "user-data"}) {
    const auto it = doc->find(field);
    if (it == doc->end() || it->is_null()) continue;
    if (!it->is_string()) return Malformed(field, "must be a string or null");
    if (std::string_view(field) == "hostname") request.hostname = it->get<std::string>();
  }
  if (const auto it = doc->find("metadata"); it != doc->end() && !it->is_null()) {
    auto metadata = GetStringMap(*it, "metadata");
    SEEDWELL_RETURN_IF_ERROR(metadata);
    request.metadata = std::move(*metadata);
  }
  return request;
}

}  // namespace seedwell

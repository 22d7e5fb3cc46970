#include "api/routes/config_drive_request.h"

#include <string_view>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

constexpr std::size_t kMaxServiceUrlBytes = 2048;

// ValidServiceUrl accepts an http:// or https:// URL with a host and no whitespace or controls.
bool ValidServiceUrl(std::string_view url) {
  if (url.empty() || url.size() > kMaxServiceUrlBytes) return false;
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '"' || c == '\\') return false;
  }
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (url.substr(0, scheme.size()) == scheme)
      return url.size() > scheme.size() && url[scheme.size()] != '/';
  }
  return false;
}

}  // namespace

Result<void> ConfigDriveRequestFromJson(const nlohmann::json& body, ConfigDriveRequest& request,
                                        std::string& service_url) {
  if (!body.is_object()) return Fail(ErrorCode::kInvalidArgument, "body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key == "user_data") {
      if (!value.is_string()) return Fail(ErrorCode::kInvalidArgument, "user_data must be base64");
      auto bytes = FromBase64(value.get<std::string>());
      if (!bytes) return Fail(ErrorCode::kInvalidArgument, "user_data must be padded base64");
      request.user_data = std::string(bytes->begin(), bytes->end());
    } else if (key == "vendor_data") {
      request.vendor_data = value;
    } else if (key == "network_data") {
      request.network_data = value;
    } else if (key == "seed_bytes") {
      if (!value.is_number_unsigned()) {
        return Fail(ErrorCode::kInvalidArgument, "seed_bytes must be a positive integer");
      }
      request.seed_file_bytes = value.get<std::size_t>();
    } else if (key == "embed_token" || key == "issue_sealing_key") {
      if (!value.is_boolean()) return Fail(ErrorCode::kInvalidArgument, key + " must be a boolean");
      (key == "embed_token" ? request.embed_token : request.issue_sealing_key) = value.get<bool>();
    } else if (key == "service_url") {
      if (!value.is_string() || !ValidServiceUrl(value.get<std::string>())) {
        return Fail(ErrorCode::kInvalidArgument,
                    "service_url must be an http:// or https:// URL of at most 2048 characters");
      }
      service_url = value.get<std::string>();
      while (service_url.back() == '/') service_url.pop_back();
    } else {
      return Fail(ErrorCode::kInvalidArgument, "unknown field: " + key);
    }
  }
  return {};
}

}  // namespace seedwell

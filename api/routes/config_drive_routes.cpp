#include "api/routes/config_drive_routes.h"
#include "seedwell/version.h"

#include <spdlog/spdlog.h>

#include <string>

#include "api/http/json_error.h"
#include "api/routes/admin_routes.h"
#include "api/routes/serve_metrics.h"
#include "crypto/encoding.h"
#include "service/config_drive/config_drive_builder.h"
#include "service/usage_transport.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

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

// RequestFromBody reads the optional JSON body into |request| and |service_url|: every member is
// optional, unknown members are refused (a typo must not silently build a drive without what was
// meant).
Result<void> RequestFromBody(const nlohmann::json& body, ConfigDriveRequest& request,
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

void BuildConfigDrive(AppContext& ctx, const Request& req, Response& res) {
  ConfigDriveRequest request;
  request.instance_id = req.matches[1].str();
  std::string service_url = ctx.public_url;
  if (!req.body.empty()) {
    auto body = ParseJsonBody(req, kConfigDriveBodyLimit);
    if (!body) return WriteHttpError(res, body.error());
    if (auto ok = RequestFromBody(*body, request, service_url); !ok) {
      return WriteError(res, ok.error());
    }
  }
  EntropyService& entropy = ctx.entropy;
  ConfigDriveBuilder builder(
      ctx.registry, ctx.keys,
      [&entropy](std::span<std::uint8_t> out) { return entropy.Generate(out); }, service_url,
      std::string("seedwell ") + kVersion);
  auto drive = builder.BuildIso(request);
  if (!drive) return WriteError(res, drive.error());
  ctx.serve_metrics.bytes_issued()
      .WithLabels({std::string(UsageTransportName(UsageTransport::kConfigDrive))})
      .Increment(static_cast<double>(drive->seed_bytes));
  spdlog::info("event=config_drive_built id={} kid={} size={} secrets={} via=admin",
               drive->instance_id, drive->key_id, drive->size_bytes, drive->has_secrets);
  // The body is handed to cpp-httplib as a std::string, which is not wiped after sending; the
  // drive's own buffer is (it is a SecretBuffer).
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Disposition",
                 "attachment; filename=\"config-drive-" + drive->instance_id + ".iso\"");
  res.set_header("X-Seedwell-Key-Id", drive->key_id);
  res.set_content(reinterpret_cast<const char*>(drive->image.data()), drive->image.size(),
                  "application/x-iso9660-image");
}

}  // namespace

void RegisterConfigDriveRoutes(HttpServer& server, AppContext& ctx) {
  server.Post("/v1/instances/([^/]+)/config-drive", Admin(ctx, BuildConfigDrive),
              kConfigDriveBodyLimit);
}

}  // namespace seedwell

#include "api/routes/config_drive_routes.h"
#include "seedwell/version.h"

#include <spdlog/spdlog.h>

#include <string>

#include "api/http/json_error.h"
#include "api/routes/admin_routes.h"
#include "api/routes/config_drive_request.h"
#include "api/routes/serve_metrics.h"
#include "crypto/encoding.h"
#include "service/config_drive/config_drive_builder.h"
#include "service/usage_transport.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

void BuildConfigDrive(AppContext& ctx, const Request& req, Response& res) {
  ConfigDriveRequest request;
  request.instance_id = req.matches[1].str();
  std::string service_url = ctx.public_url;
  if (!req.body.empty()) {
    auto body = ParseJsonBody(req, kConfigDriveBodyLimit);
    if (!body) return WriteHttpError(res, body.error());
    if (auto ok = ConfigDriveRequestFromJson(*body, request, service_url); !ok) {
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

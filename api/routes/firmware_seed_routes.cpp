#include "api/routes/firmware_seed_routes.h"

#include <spdlog/spdlog.h>

#include <string>

#include "api/http/json_error.h"
#include "api/routes/admin_routes.h"
#include "service/config_drive/firmware_credential.h"
#include "service/config_drive/seed_file.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

// SeedRequest is the optional body: {"seed_bytes": N, "name": "NAME"}.
struct SeedRequest {
  std::size_t seed_bytes = kDefaultFirmwareSeedBytes;
  std::string name = std::string(kDefaultCredentialName);
};

// RequestFromBody reads the optional JSON body; unknown members are refused.
Result<SeedRequest> RequestFromBody(const nlohmann::json& body) {
  if (!body.is_object()) return Fail(ErrorCode::kInvalidArgument, "body must be a JSON object");
  SeedRequest out;
  for (const auto& [key, value] : body.items()) {
    if (key == "seed_bytes") {
      if (!value.is_number_unsigned() || value.get<std::size_t>() < kMinSeedFileBytes ||
          value.get<std::size_t>() > kMaxFirmwareSeedBytes) {
        return Fail(ErrorCode::kInvalidArgument, "seed_bytes must be an integer from " +
                                                     std::to_string(kMinSeedFileBytes) + " to " +
                                                     std::to_string(kMaxFirmwareSeedBytes) +
                                                     " (SMBIOS tables are small)");
      }
      out.seed_bytes = value.get<std::size_t>();
    } else if (key == "name") {
      if (!value.is_string() || !ValidCredentialName(value.get<std::string>())) {
        return Fail(ErrorCode::kInvalidArgument,
                    "name must be 1 to 64 of A-Z a-z 0-9 . _ - (a systemd credential name)");
      }
      out.name = value.get<std::string>();
    } else {
      return Fail(ErrorCode::kInvalidArgument, "unknown field: " + key);
    }
  }
  return out;
}

void BuildFirmwareSeed(AppContext& ctx, const Request& req, Response& res) {
  SeedRequest request;
  if (!req.body.empty()) {
    auto body = ParseJsonBody(req, kAdminBodyLimit);
    if (!body) return WriteHttpError(res, body.error());
    auto parsed = RequestFromBody(*body);
    if (!parsed) return WriteError(res, parsed.error());
    request = std::move(*parsed);
  }
  auto instance = ctx.registry.Get(req.matches[1].str());
  if (!instance) return WriteError(res, instance.error());
  if (instance->state != InstanceState::kActive) {
    return WriteError(
        res, Error{ErrorCode::kFailedPrecondition, "instance is revoked: no seed is issued"});
  }
  const auto key = ctx.keys.ActiveKey();
  EntropyService& entropy = ctx.entropy;
  auto seed =
      MakeSeedFile(instance->id, request.seed_bytes, SystemUnixMillis(), *key,
                   [&entropy](std::span<std::uint8_t> out) { return entropy.Generate(out); });
  if (!seed) return WriteError(res, seed.error());
  auto credential = MakeFirmwareCredential(*seed, request.name);
  if (!credential) return WriteError(res, credential.error());
  spdlog::info("event=firmware_seed_issued id={} kid={} seed_bytes={} name={} via=admin",
               instance->id, key->kid(), request.seed_bytes, credential->name);
  // Like the config drive's body, this JSON carries the seed in ordinary strings that are not
  // wiped after sending; the seed file itself was a SecretBuffer.
  res.set_header("Cache-Control", "no-store");
  WriteJson(
      res, 200,
      {{"instance_id", instance->id},
       {"kid", key->kid()},
       {"credential_name", credential->name},
       {"seed_bytes", request.seed_bytes},
       {"smbios_oem_string", credential->oem_string},
       {"qemu_args",
        {{"smbios", credential->qemu_smbios_args}, {"fw_cfg", credential->qemu_fw_cfg_args}}},
       {"libvirt_xml",
        {{"smbios", credential->libvirt_smbios_xml}, {"fw_cfg", credential->libvirt_fw_cfg_xml}}}});
}

}  // namespace

void RegisterFirmwareSeedRoutes(HttpServer& server, AppContext& ctx) {
  server.Post("/v1/instances/([^/]+)/smbios-seed", Admin(ctx, BuildFirmwareSeed), kAdminBodyLimit);
}

}  // namespace seedwell

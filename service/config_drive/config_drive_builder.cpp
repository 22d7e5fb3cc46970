#include "service/config_drive/config_drive_builder.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "crypto/encoding.h"
#include "crypto/sealed_box.h"
#include "service/config_drive/iso_image.h"
#include "service/config_drive/staged_output.h"
#include "service/usage_transport.h"

namespace seedwell {

namespace {

bool CarriesCredentials(const ConfigDriveRequest& request) {
  return request.embed_token || request.issue_sealing_key;
}

// RecordSeedUsage counts a delivered drive's random bytes in the instance's usage. Usage is
// advisory: a failure is logged, and the drive is delivered all the same.
void RecordSeedUsage(Registry& registry, const std::string& id, std::uint64_t bytes) {
  if (auto ok = registry.RecordUsage(id, UsageTransport::kConfigDrive, bytes); !ok) {
    spdlog::warn("event=usage_record_failed id={} transport={} bytes={} error=\"{}\"", id,
                 UsageTransportName(UsageTransport::kConfigDrive), bytes, ok.error().message);
  }
}

}  // namespace

struct ConfigDriveBuilder::Prepared {
  std::string instance_id;
  std::string key_id;
  ConfigDriveTree tree;
  std::uint64_t now_unix_ms = 0;
  std::uint64_t seed_bytes = 0;
};

Result<ConfigDriveFormat> ParseConfigDriveFormat(std::string_view text) {
  if (text == "iso") return ConfigDriveFormat::kIso;
  if (text == "dir") return ConfigDriveFormat::kDirectory;
  return Fail(ErrorCode::kInvalidArgument, "format must be iso or dir");
}

ConfigDriveBuilder::ConfigDriveBuilder(Registry& registry, KeyRing& keys, RandomFill random,
                                       std::string service_url, std::string publisher,
                                       UnixMillisFn now)
    : registry_(registry),
      keys_(keys),
      random_(std::move(random)),
      service_url_(std::move(service_url)),
      publisher_(std::move(publisher)),
      now_(std::move(now)) {}

Result<ConfigDriveBuilder::Prepared> ConfigDriveBuilder::Prepare(
    const ConfigDriveRequest& request) {
  auto instance = registry_.Get(request.instance_id);
  SEEDWELL_RETURN_IF_ERROR(instance);
  if (instance->state != InstanceState::kActive) {
    return Fail(ErrorCode::kFailedPrecondition, "instance is revoked: no config drive is built");
  }
  if (auto ok = ValidateConfigDriveInputs(request.user_data, request.vendor_data,
                                          request.network_data, request.seed_file_bytes);
      !ok) {
    return tl::unexpected(ok.error());
  }

  // State changes start here (see the file comment).
  std::unique_ptr<SealingKeyPair> sealing;
  if (request.issue_sealing_key) {
    sealing = std::make_unique<SealingKeyPair>(SealingKeyPair::Generate());
    InstancePatch patch;
    patch.sealing_public_key = std::optional<std::string>(ToBase64(sealing->public_key()));
    auto updated = registry_.Update(instance->id, patch);
    SEEDWELL_RETURN_IF_ERROR(updated);
    instance = std::move(updated);
  }
  std::string token;
  if (request.embed_token) {
    auto rotated = registry_.RotateToken(instance->id);
    SEEDWELL_RETURN_IF_ERROR(rotated);
    token = std::move(*rotated);
  }

  const auto key = keys_.ActiveKey();
  ConfigDriveContent content;
  content.instance = *instance;
  content.service = GuestServiceInfo{service_url_, key->kid(), ToBase64(key->public_key())};
  content.user_data = request.user_data;
  content.vendor_data = request.vendor_data;
  content.network_data = request.network_data;
  content.seed_file_bytes = request.seed_file_bytes;
  content.token = std::move(token);
  content.sealing_key = sealing.get();
  content.now_unix_ms = now_();
  // Every random byte the drive carries (the signed seed file, its nonce, each metadata
  // version's random_seed) is counted, to be recorded as the instance's config_drive usage.
  std::uint64_t seed_bytes = 0;
  const RandomFill counting = [this, &seed_bytes](std::span<std::uint8_t> out) -> Result<void> {
    SEEDWELL_TRY(random_(out));
    seed_bytes += out.size();
    return {};
  };
  auto tree = BuildConfigDriveTree(content, *key, counting);
  sodium_memzero(content.token.data(), content.token.size());
  SEEDWELL_RETURN_IF_ERROR(tree);
  return Prepared{instance->id, key->kid(), std::move(*tree), content.now_unix_ms, seed_bytes};
}

Result<SecretBuffer> ConfigDriveBuilder::Iso(const Prepared& prepared) {
  IsoImageOptions options;
  options.publisher = publisher_;
  options.mtime_unix_s = static_cast<std::int64_t>(prepared.now_unix_ms / 1000);
  return BuildIsoImage(prepared.tree, options);
}

Result<BuiltDrive> ConfigDriveBuilder::BuildIso(const ConfigDriveRequest& request) {
  auto prepared = Prepare(request);
  SEEDWELL_RETURN_IF_ERROR(prepared);
  auto image = Iso(*prepared);
  SEEDWELL_RETURN_IF_ERROR(image);
  if (auto ok =
          registry_.RecordConfigDriveBuild(prepared->instance_id, prepared->key_id, image->size());
      !ok) {
    return tl::unexpected(ok.error());
  }
  RecordSeedUsage(registry_, prepared->instance_id, prepared->seed_bytes);
  const std::uint64_t size = image->size();
  return BuiltDrive{prepared->instance_id,       prepared->key_id,  size,
                    CarriesCredentials(request), std::move(*image), prepared->seed_bytes};
}

Result<BuiltDrive> ConfigDriveBuilder::WriteTo(const ConfigDriveRequest& request,
                                               const std::filesystem::path& out,
                                               ConfigDriveFormat format) {
  const OutputKind kind =
      format == ConfigDriveFormat::kIso ? OutputKind::kFile : OutputKind::kDirectory;
  // Refuse a bad path before any token is rotated or key issued.
  SEEDWELL_TRY(ValidateOutputPath(out, kind));
  auto prepared = Prepare(request);
  SEEDWELL_RETURN_IF_ERROR(prepared);

  std::uint64_t size = 0;
  auto stage = [&]() -> Result<StagedOutput> {
    if (format == ConfigDriveFormat::kDirectory) {
      size = prepared->tree.TotalBytes();
      return StagedOutput::StageTree(out, prepared->tree);
    }
    auto image = Iso(*prepared);
    SEEDWELL_RETURN_IF_ERROR(image);
    size = image->size();
    return StagedOutput::StageFile(out, image->span(), 0600);
  };
  auto staged = stage();
  SEEDWELL_RETURN_IF_ERROR(staged);
  if (auto ok = registry_.RecordConfigDriveBuild(prepared->instance_id, prepared->key_id, size);
      !ok) {
    return tl::unexpected(ok.error());  // |staged| is removed on the way out
  }
  SEEDWELL_TRY(staged->Commit());
  RecordSeedUsage(registry_, prepared->instance_id, prepared->seed_bytes);
  return BuiltDrive{prepared->instance_id,       prepared->key_id, size,
                    CarriesCredentials(request), SecretBuffer(),   prepared->seed_bytes};
}

}  // namespace seedwell

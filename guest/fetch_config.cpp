#include "guest/fetch_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "crypto/bounded_json.h"
#include "crypto/encoding.h"

namespace seedwell {
namespace {

constexpr std::size_t kMaxSmallFileBytes = 4096;
constexpr std::size_t kMaxSeedFileTextBytes = std::size_t{128} * 1024;
constexpr std::size_t kMaxMetadataBytes = std::size_t{1024} * 1024;

// DriveMetadata is what meta_data.json says about the instance and the service.
struct DriveMetadata {
  std::string instance_id;
  std::string service_url;
  std::string public_key;
  std::string kid;
};

Result<DriveMetadata> ReadDriveMetadata(const std::filesystem::path& dir) {
  const auto path = dir / "openstack" / "latest" / "meta_data.json";
  auto text = ReadSecretFile(path, kMaxMetadataBytes);
  SEEDWELL_RETURN_IF_ERROR(text);
  const std::string_view view(reinterpret_cast<const char*>(text->data()), text->size());
  auto parsed = ParseBoundedJson(view);
  if (!parsed)
    return Fail(ErrorCode::kInvalidArgument, path.string() + ": " + parsed.error().message);
  const nlohmann::json& doc = *parsed;
  if (!doc.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, path.string() + " is not a JSON object");
  }
  DriveMetadata out;
  if (doc.contains("uuid") && doc["uuid"].is_string()) out.instance_id = doc["uuid"];
  if (doc.contains("seedwell") && doc["seedwell"].is_object()) {
    const auto& sw = doc["seedwell"];
    if (sw.contains("service_url") && sw["service_url"].is_string())
      out.service_url = sw["service_url"];
    if (sw.contains("public_key") && sw["public_key"].is_string())
      out.public_key = sw["public_key"];
    if (sw.contains("kid") && sw["kid"].is_string()) out.kid = sw["kid"];
  }
  return out;
}

Result<Ed25519PublicKey> ParsePublicKey(std::string_view base64, std::string_view where) {
  Ed25519PublicKey key{};
  if (!FromBase64Into(base64, key)) {
    return Fail(ErrorCode::kInvalidArgument,
                "public key from " + std::string(where) + " is not base64 of 32 bytes");
  }
  return key;
}

Result<SealingKeyPair> ReadSealingKey(const std::filesystem::path& path) {
  auto text = ReadSecretFile(path, kMaxSmallFileBytes);
  SEEDWELL_RETURN_IF_ERROR(text);
  SecretArray<kX25519SecretKeyBytes> secret;
  const std::string_view view(reinterpret_cast<const char*>(text->data()), text->size());
  if (!FromBase64Into(view, secret.span())) {
    return Fail(ErrorCode::kInvalidArgument, path.string() + " is not base64 of a 32-byte key");
  }
  return SealingKeyPair::FromSecretKey(secret.span());
}

}  // namespace

Result<SecretBuffer> ReadSecretFile(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                "cannot read " + path.string() + ": " + std::strerror(err));
  }
  const auto too_large = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  };
  // Size the (locked, guarded) scratch buffer by the file, not by the bound: the one byte more
  // than a regular file's size shows whether it changed while being read.
  struct stat st {};
  std::size_t expect = max_bytes;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
      ::close(fd);
      return too_large();
    }
    expect = static_cast<std::size_t>(st.st_size);
  }
  SecretBuffer scratch(expect + 1);
  std::size_t used = 0;
  ssize_t n = 0;
  while (used < scratch.size() &&
         ((n = ::read(fd, scratch.data() + used, scratch.size() - used)) > 0 ||
          (n < 0 && errno == EINTR))) {
    if (n > 0) used += static_cast<std::size_t>(n);
  }
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    return Fail(ErrorCode::kUnavailable,
                "cannot read " + path.string() + ": " + std::strerror(err));
  }
  if (used > max_bytes) return too_large();
  if (used == scratch.size()) {
    return Fail(ErrorCode::kUnavailable, path.string() + " changed while being read");
  }
  if (used > 0 && scratch.data()[used - 1] == '\n') --used;
  SecretBuffer out(used);
  if (used > 0) std::memcpy(out.data(), scratch.data(), used);
  return out;
}

Result<FetchConfig> ResolveFetchConfig(const FetchFlags& flags,
                                       const std::optional<std::filesystem::path>& drive_dir,
                                       const std::string& drive_source,
                                       const FirmwareClaims* firmware) {
  FetchConfig config;
  DriveMetadata drive;
  if (drive_dir) {
    config.drive_source = drive_source;
    auto metadata = ReadDriveMetadata(*drive_dir);
    SEEDWELL_RETURN_IF_ERROR(metadata);
    drive = std::move(*metadata);
  } else if (firmware != nullptr) {
    drive.instance_id = firmware->instance_id;
    drive.public_key = firmware->public_key;
    drive.kid = firmware->kid;
  }
  config.instance_id = !flags.instance_id.empty() ? flags.instance_id : drive.instance_id;
  if (config.instance_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "this instance's id is unknown: give --instance-id or a config drive");
  }

  if (!flags.public_keys.empty()) {
    for (const std::string& text : flags.public_keys) {
      auto key = ParsePublicKey(text, "--public-key");
      SEEDWELL_RETURN_IF_ERROR(key);
      config.trusted_keys.push_back(*key);
    }
  } else if (!drive.public_key.empty()) {
    auto key =
        ParsePublicKey(drive.public_key, drive_dir ? "the config drive" : "the firmware seed");
    SEEDWELL_RETURN_IF_ERROR(key);
    if (!drive.kid.empty() && KeyIdFor(*key) != drive.kid) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the " + std::string(drive_dir ? "config drive" : "firmware seed") +
                      "'s public key does not match its kid " + drive.kid);
    }
    config.trusted_keys.push_back(*key);
  }
  if (config.trusted_keys.empty()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "no trusted public key: give --public-key or a config drive with a seedwell section");
  }

  if (!flags.offline) {
    config.service_text = !flags.url.empty() ? flags.url : drive.service_url;
    const bool firmware_only = !drive_dir && firmware != nullptr;
    if (config.service_text.empty() && !firmware_only) {
      return Fail(ErrorCode::kInvalidArgument,
                  "no service URL: give --url or a config drive with seedwell.service_url");
    }
    if (!config.service_text.empty()) {
      auto url = ParseHttpUrl(config.service_text);
      SEEDWELL_RETURN_IF_ERROR(url);
      config.service = std::move(*url);
    }
  }

  const auto drive_file = [&](const char* name) { return *drive_dir / "seedwell" / name; };
  if (!flags.token_file.empty()) {
    auto token = ReadSecretFile(flags.token_file, kMaxSmallFileBytes);
    SEEDWELL_RETURN_IF_ERROR(token);
    config.token = std::move(*token);
  } else if (drive_dir) {
    auto token = ReadSecretFile(drive_file("token"), kMaxSmallFileBytes);
    if (token) {
      config.token = std::move(*token);
    } else if (token.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(token.error());
    }
  }

  std::optional<std::filesystem::path> sealing_path;
  if (!flags.sealing_key_file.empty()) {
    sealing_path = flags.sealing_key_file;
  } else if (drive_dir && std::filesystem::exists(drive_file("sealing_key"))) {
    sealing_path = drive_file("sealing_key");
  }
  if (sealing_path) {
    auto pair = ReadSealingKey(*sealing_path);
    SEEDWELL_RETURN_IF_ERROR(pair);
    config.sealing_key = std::move(*pair);
  }

  if (drive_dir && !flags.skip_seed_file) {
    auto seed = ReadSecretFile(drive_file("seed.json"), kMaxSeedFileTextBytes);
    if (seed) {
      config.seed_file = std::move(*seed);
    } else if (seed.error().code != ErrorCode::kNotFound) {
      return tl::unexpected(seed.error());
    }
  }
  if (flags.offline && !config.seed_file && firmware == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                "--offline needs a config drive with seedwell/seed.json or a firmware seed");
  }
  return config;
}

}  // namespace seedwell

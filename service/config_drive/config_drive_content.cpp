#include "service/config_drive/config_drive_content.h"

#include <sodium.h>

#include <string_view>
#include <vector>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

// AddJson adds |doc| serialised, wiping the serialised copy afterwards (it may hold a seed).
Result<void> AddJson(ConfigDriveTree& tree, const std::string& path, const nlohmann::json& doc) {
  std::string text = doc.dump();
  auto added = tree.AddText(path, text, false);
  sodium_memzero(text.data(), text.size());
  return added;
}

Result<void> AddVersion(ConfigDriveTree& tree, const ConfigDriveContent& content,
                        std::string_view version, const RandomFill& random) {
  const std::string dir = "openstack/" + std::string(version) + "/";
  SecretArray<kRandomSeedBytes> seed;
  if (auto ok = random(seed.span()); !ok) return ok;
  auto meta = BuildMetaData(content.instance, version, seed.span(), content.service);
  seed.Wipe();
  SEEDWELL_RETURN_IF_ERROR(meta);
  Result<void> added = AddJson(tree, dir + "meta_data.json", *meta);
  // The document holds the seed as base64: overwrite it before the json object is freed.
  if (meta->contains("random_seed")) {
    auto& text = (*meta)["random_seed"].get_ref<std::string&>();
    sodium_memzero(text.data(), text.size());
  }
  if (!added) return added;

  auto since = [version](std::string_view first) {
    return version == "latest" || version >= first;
  };
  if (content.user_data) {
    if (auto ok = tree.AddText(dir + "user_data", *content.user_data, false); !ok) return ok;
  }
  if (since("2013-10-17")) {
    const nlohmann::json vendor =
        content.vendor_data ? *content.vendor_data : nlohmann::json::object();
    if (auto ok = AddJson(tree, dir + "vendor_data.json", vendor); !ok) return ok;
  }
  if (since("2015-10-15") && content.network_data) {
    if (auto ok = AddJson(tree, dir + "network_data.json", *content.network_data); !ok) return ok;
  }
  return {};
}

}  // namespace

nlohmann::json Ec2MetaData(const Instance& instance) {
  // Nova's EC2 ids are "i-" and 8 hex digits; derive them from the UUID.
  std::string short_id = instance.id.substr(0, 8);
  return {{"ami-id", "ami-00000000"},
          {"ami-launch-index", 0},
          {"ami-manifest-path", "FIXME"},
          {"block-device-mapping", {{"ami", "vda"}, {"root", "/dev/vda"}}},
          {"hostname", instance.hostname},
          {"instance-action", "none"},
          {"instance-id", "i-" + short_id},
          {"instance-type", ""},
          {"local-hostname", instance.hostname},
          {"local-ipv4", nullptr},
          {"placement", {{"availability-zone", instance.availability_zone}}},
          {"public-hostname", instance.hostname},
          {"public-ipv4", nullptr},
          {"reservation-id", "r-" + short_id},
          {"security-groups", nlohmann::json::array()}};
}

Result<void> ValidateConfigDriveInputs(const std::optional<std::string>& user_data,
                                       const std::optional<nlohmann::json>& vendor_data,
                                       const std::optional<nlohmann::json>& network_data,
                                       std::size_t seed_file_bytes) {
  if (user_data && user_data->size() > kMaxUserDataBytes) {
    return Fail(ErrorCode::kInvalidArgument, "user_data is larger than 65535 bytes");
  }
  if (vendor_data && !vendor_data->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "vendor_data must be a JSON object");
  }
  if (network_data && !network_data->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "network_data must be a JSON object");
  }
  if (seed_file_bytes < kMinSeedFileBytes || seed_file_bytes > kMaxSeedFileBytes) {
    return Fail(ErrorCode::kInvalidArgument, "seed size must be from " +
                                                 std::to_string(kMinSeedFileBytes) + " to " +
                                                 std::to_string(kMaxSeedFileBytes) + " bytes");
  }
  return {};
}

Result<ConfigDriveTree> BuildConfigDriveTree(const ConfigDriveContent& content,
                                             const SigningKey& key, const RandomFill& random) {
  if (auto ok = ValidateConfigDriveInputs(content.user_data, content.vendor_data,
                                          content.network_data, content.seed_file_bytes);
      !ok) {
    return tl::unexpected(ok.error());
  }
  ConfigDriveTree tree;
  std::vector<std::string_view> versions(kOpenStackVersions.begin(), kOpenStackVersions.end());
  versions.emplace_back("latest");
  for (const auto version : versions) {
    if (auto ok = AddVersion(tree, content, version, random); !ok)
      return tl::unexpected(ok.error());
  }
  if (auto ok = AddJson(tree, "ec2/latest/meta-data.json", Ec2MetaData(content.instance)); !ok) {
    return tl::unexpected(ok.error());
  }

  auto seed =
      MakeSeedFile(content.instance.id, content.seed_file_bytes, content.now_unix_ms, key, random);
  SEEDWELL_RETURN_IF_ERROR(seed);
  if (auto ok = tree.AddBuffer("seedwell/seed.json", std::move(*seed), true); !ok) {
    return tl::unexpected(ok.error());
  }
  if (!content.token.empty()) {
    if (auto ok = tree.AddText("seedwell/token", content.token + "\n", true); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  if (content.sealing_key != nullptr) {
    // Text form, like `seedwell keygen sealing-key`: base64 of the 32-byte X25519 secret key.
    const std::span<const std::uint8_t> secret = content.sealing_key->secret_key();
    const std::size_t len =
        sodium_base64_ENCODED_LEN(secret.size(), sodium_base64_VARIANT_ORIGINAL);
    SecretBuffer text(len);  // len - 1 characters, then "\n" where the encoder put its NUL
    sodium_bin2base64(reinterpret_cast<char*>(text.data()), len, secret.data(), secret.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    text.data()[len - 1] = '\n';
    if (auto ok = tree.AddBuffer("seedwell/sealing_key", std::move(text), true); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  return tree;
}

}  // namespace seedwell

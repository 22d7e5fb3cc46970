#include "service/config_drive/metadata_document.h"

#include <algorithm>

#include "crypto/encoding.h"

namespace seedwell {

bool IsOpenStackVersion(std::string_view version) {
  return version == "latest" || std::find(kOpenStackVersions.begin(), kOpenStackVersions.end(),
                                          version) != kOpenStackVersions.end();
}

std::string OpenStackVersionListing() {
  std::string listing;
  for (const auto version : kOpenStackVersions) {
    listing.append(version);
    listing.push_back('\n');
  }
  listing.append("latest");
  return listing;
}

Result<nlohmann::json> BuildMetaData(const Instance& instance, std::string_view version,
                                     std::span<const std::uint8_t> seed,
                                     const GuestServiceInfo& service) {
  if (!IsOpenStackVersion(version)) {
    return Fail(ErrorCode::kInvalidArgument, "unknown metadata version");
  }
  if (seed.size() != kRandomSeedBytes) {
    return Fail(ErrorCode::kInvalidArgument, "random_seed must be 512 bytes");
  }
  // Versions compare as ISO dates; "latest" is newer than all.
  auto since = [version](std::string_view first) {
    return version == "latest" || version >= first;
  };
  nlohmann::json doc = {
      {"uuid", instance.id},
      {"meta", instance.metadata},
      {"files", nlohmann::json::array()},
      {"public_keys", nlohmann::json::object()},
      {"keys", nlohmann::json::array()},
      {"hostname", instance.hostname},
      {"name", instance.name},
      {"launch_index", 0},
      {"availability_zone", instance.availability_zone},
  };
  if (since("2013-04-04")) doc["random_seed"] = ToBase64(seed);
  if (since("2015-10-15")) doc["project_id"] = instance.project_id;
  if (since("2016-06-30")) doc["devices"] = nlohmann::json::array();
  doc["seedwell"] = {{"service_url", service.service_url},
                     {"key_id", service.key_id},
                     {"public_key", service.public_key_base64},
                     {"entropy_url", service.service_url + "/v1/entropy"}};
  return doc;
}

}  // namespace seedwell

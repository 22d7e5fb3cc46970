// Nova-compatible OpenStack metadata documents: the version listing and meta_data.json, shared by
// the guest HTTP metadata routes and the config-drive writer.
//
// cloud-init (22.4 in Debian 12, and upstream still) knows versions up to 2018-08-27 and picks the
// newest one the listing shows, so the listing stops there, then "latest". Nova renders
// meta_data.json afresh for every GET; callers pass a fresh 512-byte seed each time.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.h"
#include "service/instance.h"

namespace seedwell {

// kOpenStackVersions lists the metadata versions served, oldest first ("latest" is extra).
inline constexpr std::array<std::string_view, 8> kOpenStackVersions = {
    "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
    "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27"};

// kRandomSeedBytes is the size of Nova's random_seed before base64 (684 characters after).
inline constexpr std::size_t kRandomSeedBytes = 512;

// IsOpenStackVersion is true for a listed version or "latest".
bool IsOpenStackVersion(std::string_view version);

// OpenStackVersionListing returns the body of GET /openstack: one version a line, then "latest".
std::string OpenStackVersionListing();

// GuestServiceInfo is what a guest needs to use seedwell's native API; it is published under the
// "seedwell" key of meta_data.json. None of it is secret (never put a token here: cloud-init copies
// meta_data.json into a world-readable file).
struct GuestServiceInfo {
  std::string service_url;
  std::string key_id;
  std::string public_key_base64;
};

// BuildMetaData renders meta_data.json of |version| for |instance| with |seed| (exactly
// kRandomSeedBytes, as padded base64) as random_seed, emitting the keys Nova emits in that version.
// kInvalidArgument for an unknown version or a seed of the wrong size.
Result<nlohmann::json> BuildMetaData(const Instance& instance, std::string_view version,
                                     std::span<const std::uint8_t> seed,
                                     const GuestServiceInfo& service);

}  // namespace seedwell

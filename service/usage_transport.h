// UsageTransport: the closed set of transports under which an instance's issued bytes are counted,
// both per instance in the Store and as the transport label of seedwell_bytes_issued_total. It is
// an enum, so no caller, through a bug or a client's input, can create unbounded database rows or
// metric label values; the names are what the Store, the usage JSON and the metric carry. A new
// transport adds an enumerator, its name, and an entry in kUsageTransports.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace seedwell {

// UsageTransport is how an instance received bytes.
enum class UsageTransport : std::uint8_t {
  kHttp,       // GET/POST /v1/entropy
  kOpenStack,  // OpenStack metadata's random_seed
  kPollen,     // the pollen protocol
  kEgd,        // EGD (virtio-rng)
  // kConfigDrive counts the DRBG bytes written onto an instance's config drive when it is built
  // (the admin route or `seedwell config-drive`): the seed file, its nonce, the random_seeds.
  kConfigDrive,
  kOther,  // anything else (none today; kept so stored rows named "other" still read)
};

// kUsageTransports lists every transport, in the order of the enum.
inline constexpr std::array<UsageTransport, 6> kUsageTransports = {
    UsageTransport::kHttp, UsageTransport::kOpenStack,   UsageTransport::kPollen,
    UsageTransport::kEgd,  UsageTransport::kConfigDrive, UsageTransport::kOther};

// UsageTransportName returns the stable lower-case name of |transport| ("http", "openstack",
// "pollen", "egd", "config_drive", "other"), a view of static storage.
constexpr std::string_view UsageTransportName(UsageTransport transport) {
  switch (transport) {
    case UsageTransport::kHttp:
      return "http";
    case UsageTransport::kOpenStack:
      return "openstack";
    case UsageTransport::kPollen:
      return "pollen";
    case UsageTransport::kEgd:
      return "egd";
    case UsageTransport::kConfigDrive:
      return "config_drive";
    case UsageTransport::kOther:
      return "other";
  }
  return "other";
}

// ParseUsageTransport returns the transport named |name| (exact, case-sensitive), or nothing.
constexpr std::optional<UsageTransport> ParseUsageTransport(std::string_view name) {
  for (const UsageTransport t : kUsageTransports) {
    if (UsageTransportName(t) == name) return t;
  }
  return std::nullopt;
}

}  // namespace seedwell

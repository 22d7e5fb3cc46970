// GuestConfig: the settings of the guest listener's entropy routes (identity modes, trusted
// proxies, anonymous access, block size, signature batching). Registered on `seedwell serve` by
// AddGuestOptions; flags, SEEDWELL_* variables and the config file work as for every setting.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace seedwell {

// GuestConfig holds the guest settings with their defaults.
struct GuestConfig {
  std::vector<std::string> identity = {"token"};   // token, proxy, source-address
  std::string proxy_secret_file;                   // Neutron metadata_proxy_shared_secret
  std::vector<std::string> trusted_proxies;        // CIDRs whose X-Forwarded-For is honoured
  std::string untrusted_forwarded_for = "ignore";  // ignore | refuse
  bool allow_anonymous = false;
  std::uint64_t anonymous_rate_bytes_per_second = 64;
  std::uint64_t anonymous_burst_bytes = 512;
  std::uint64_t max_bytes = 4096;  // largest block a guest may ask for
  std::string signing = "batch";   // batch (Merkle, one signature per batch) | direct
};

// AddGuestOptions registers every GuestConfig field on |serve|; |config| must outlive parsing.
void AddGuestOptions(CLI::App& serve, GuestConfig& config);

// FinishGuestConfig validates |config| after parsing; kInvalidArgument names the bad setting.
// It does not read the proxy secret file (that happens when the routes are built).
Result<void> FinishGuestConfig(const GuestConfig& config);

}  // namespace seedwell

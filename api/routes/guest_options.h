// GuestOptions: how the guest listener's entropy routes identify callers, bound requests and sign
// blocks. Plain data: `seedwell serve` fills it from its settings (cli/guest_config.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seedwell {

// GuestOptions holds the guest routes' settings with their defaults.
struct GuestOptions {
  std::vector<std::string> identity = {"token"};   // token, proxy, source-address
  std::string proxy_secret_file;                   // Neutron metadata_proxy_shared_secret
  std::vector<std::string> trusted_proxies;        // CIDRs whose X-Forwarded-For is honoured
  std::string untrusted_forwarded_for = "ignore";  // ignore | refuse
  bool allow_anonymous = false;
  std::uint64_t anonymous_rate_bytes_per_second = 64;
  std::uint64_t anonymous_burst_bytes = 512;
  std::uint64_t max_bytes = 4096;  // largest block a guest may ask for
  std::string signing = "batch";   // batch (Merkle, one signature per batch) | direct
  // With batch signing: how long an event loop may hold signed blocks for more to share their
  // signature, when it signed less than that ago (HttpServerOptions::finish_window).
  int batch_window_us = 1000;
};

}  // namespace seedwell

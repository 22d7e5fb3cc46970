#include "cli/guest_config.h"

#include <algorithm>

#include "cli/option_registration.h"
#include "service/instance.h"
#include "service/issuer.h"

namespace seedwell {

void AddGuestOptions(CLI::App& serve, GuestOptions& c) {
  AddSetting(serve, "guest-identity", c.identity,
             "Guest identity modes, comma-separated: token, proxy (Neutron metadata proxy), "
             "source-address")
      ->delimiter(',');
  AddSetting(
      serve, "guest-proxy-secret-file", c.proxy_secret_file,
      "File holding the Neutron metadata proxy shared secret (required by --guest-identity proxy)");
  AddSetting(serve, "guest-trusted-proxies", c.trusted_proxies,
             "CIDRs of proxies whose X-Forwarded-For is honoured, comma-separated")
      ->delimiter(',');
  AddSetting(serve, "guest-untrusted-forwarded-for", c.untrusted_forwarded_for,
             "X-Forwarded-For from other peers: ignore (use the socket peer) or refuse (403)")
      ->check(CLI::IsMember({"ignore", "refuse"}));
  AddSettingFlag(serve, "guest-allow-anonymous", c.allow_anonymous,
                 "Serve callers with no identity, rate-limited per source address");
  AddSetting(serve, "guest-anonymous-rate-bytes-per-second", c.anonymous_rate_bytes_per_second,
             "Entropy rate per anonymous source address, bytes/s")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  AddSetting(serve, "guest-anonymous-burst-bytes", c.anonymous_burst_bytes,
             "Burst per anonymous source address, bytes")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  AddSetting(serve, "guest-max-bytes", c.max_bytes,
             "Largest entropy block a guest may ask for, bytes")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{kMaxIssueBytes}));
  AddSetting(
      serve, "guest-signing", c.signing,
      "batch: Merkle-batch signatures of concurrent requests; direct: one signature per block")
      ->check(CLI::IsMember({"batch", "direct"}));
  AddSetting(serve, "guest-batch-window-us", c.batch_window_us,
             "With batch signing, the longest a block waits for others to share its signature, "
             "microseconds; only when the listener signed less than that ago, so a lone request "
             "never waits (0: sign what each event-loop iteration answered)")
      ->check(CLI::Range(0, 100000));
}

Result<void> FinishGuestConfig(const GuestOptions& c) {
  for (const auto& mode : c.identity) {
    if (mode != "token" && mode != "proxy" && mode != "source-address") {
      return Fail(ErrorCode::kInvalidArgument, "unknown --guest-identity mode '" + mode +
                                                   "' (known: token, proxy, source-address)");
    }
  }
  const bool proxy = std::find(c.identity.begin(), c.identity.end(), "proxy") != c.identity.end();
  if (proxy && c.proxy_secret_file.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--guest-identity proxy needs --guest-proxy-secret-file (an empty secret would "
                "let anyone claim any instance)");
  }
  for (const auto& cidr : c.trusted_proxies) {
    if (!ParseCidr(cidr)) {
      return Fail(ErrorCode::kInvalidArgument, "bad --guest-trusted-proxies CIDR '" + cidr + "'");
    }
  }
  if (c.anonymous_burst_bytes < c.anonymous_rate_bytes_per_second) {
    return Fail(ErrorCode::kInvalidArgument,
                "--guest-anonymous-burst-bytes must be >= --guest-anonymous-rate-bytes-per-second");
  }
  return {};
}

}  // namespace seedwell

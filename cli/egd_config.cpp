#include "cli/egd_config.h"

#include <algorithm>
#include <cstdlib>

#include "cli/option_registration.h"
#include "crypto/egd_source.h"
#include "crypto/host_port.h"
#include "service/instance.h"

namespace seedwell {

EgdOptions ServeEgdDefaults() {
  EgdOptions options;
  options.max_connections = 0;
  return options;
}

Result<unsigned> ParseSocketMode(const std::string& text) {
  if (text.empty() || text.size() > 4 ||
      !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '7'; })) {
    return Fail(ErrorCode::kInvalidArgument, "--egd-socket-mode must be octal, e.g. 0660");
  }
  const auto mode = static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 8));
  if (mode > 0777) {
    return Fail(ErrorCode::kInvalidArgument, "--egd-socket-mode must be at most 0777");
  }
  return mode;
}

void AddEgdOptions(CLI::App& serve, EgdOptions& egd, UpstreamEgdConfig& upstream) {
  EgdOptions& c = egd;
  AddSetting(serve, "egd-listen", c.listen,
             "HOST:PORT of the EGD TCP listener (callers identified by address)");
  AddSetting(
      serve, "egd-socket-dir", c.socket_dir,
      "Directory for per-instance EGD Unix sockets (INSTANCE-ID.sock, created with the instance)");
  AddSetting(serve, "egd-socket-mode", c.socket_mode,
             "Octal permissions of each per-instance EGD socket");
  AddSetting(
      serve, "node", c.node,
      "Run as the node agent of this compute node: EGD sockets (needs --egd-socket-dir) only "
      "for the instances whose host is NAME, following creates, moves and deletes made "
      "through any replica (docs/replicas.md)")
      ->type_name("NAME");
  AddSettingFlag(serve, "egd-allow-anonymous", c.allow_anonymous,
                 "Serve EGD TCP callers that match no instance, from one shared strict bucket");
  AddSetting(serve, "egd-anonymous-rate-bytes-per-second", c.anonymous_rate_bytes_per_second,
             "Rate of the anonymous EGD bucket, bytes/s")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  AddSetting(serve, "egd-anonymous-burst-bytes", c.anonymous_burst_bytes,
             "Burst of the anonymous EGD bucket")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  AddSetting(serve, "egd-max-connections", c.max_connections,
             "Open EGD connections allowed per listener (0: 4096, or fewer to fit the open-file "
             "limit)")
      ->check(CLI::Range(0, 1000000));
  AddSetting(serve, "egd-max-connections-per-peer", c.max_connections_per_peer,
             "Open EGD TCP connections allowed per source address")
      ->check(CLI::Range(1, 1000000));
  AddSetting(serve, "egd-max-pending", c.max_pending,
             "EGD requests queued per connection before reading pauses")
      ->check(CLI::Range(1, 4096));
  AddSetting(serve, "egd-request-timeout-ms", c.request_timeout_ms,
             "Close an EGD connection whose request stays incomplete this long")
      ->check(CLI::Range(10, 600000));
  AddSetting(serve, "egd-write-timeout-ms", c.write_timeout_ms,
             "Close an EGD connection that does not read its replies for this long")
      ->check(CLI::Range(10, 600000));
  AddSetting(serve, "egd-idle-timeout-ms", c.idle_timeout_ms,
             "Close an EGD connection idle this long (0: never, as QEMU keeps one connection open)")
      ->check(CLI::Range(0, 86400000));
  AddSetting(serve, "egd-max-wait-ms", c.max_wait_ms,
             "Longest an EGD blocking read waits for its bytes")
      ->check(CLI::Range(10, 3600000));
  AddSetting(
      serve, "upstream-egd", upstream.address,
      "Read entropy from this EGD server: HOST:PORT or a Unix socket path (source upstream-egd)");
  AddSetting(serve, "upstream-egd-timeout-ms", upstream.timeout_ms,
             "Timeout of one upstream EGD read")
      ->check(CLI::Range(10, 600000));
  AddSetting(serve, "upstream-egd-min-entropy", upstream.min_entropy,
             "Assessed min-entropy of the upstream's output, bits per byte (health-test cutoffs)")
      ->check(CLI::Range(0.5, 8.0));
  AddSettingFlag(
      serve, "allow-upstream-only", upstream.allow_upstream_only,
      "Let the upstream EGD source alone satisfy the seeding policy (no hardware source)");
}

Result<void> FinishEgdConfig(const EgdOptions& egd, const UpstreamEgdConfig& upstream,
                             std::vector<std::string>& sources) {
  const EgdOptions& c = egd;
  if (!c.listen.empty()) {
    SEEDWELL_TRY(ParseHostPort(c.listen));
  }
  SEEDWELL_TRY(ParseSocketMode(c.socket_mode));
  if (!c.node.empty()) {
    SEEDWELL_TRY(CheckHost(c.node, "--node"));
    if (c.socket_dir.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--node needs --egd-socket-dir (the node agent serves EGD sockets)");
    }
  }
  // A socket path must fit sockaddr_un.sun_path (108 bytes with the NUL): DIR/<uuid>.sock.
  if (c.socket_dir.size() + 1 + 36 + 5 >= 108) {
    return Fail(ErrorCode::kInvalidArgument, "--egd-socket-dir is too long for Unix socket paths");
  }
  const bool listed =
      std::find(sources.begin(), sources.end(), EgdSource::kSourceName) != sources.end();
  if (upstream.address.empty() && listed) {
    return Fail(ErrorCode::kInvalidArgument, "source upstream-egd needs --upstream-egd ADDR");
  }
  if (!upstream.address.empty() && !listed) sources.emplace_back(EgdSource::kSourceName);
  return {};
}

}  // namespace seedwell

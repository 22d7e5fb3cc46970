// EgdConfig: the settings of the EGD server (TCP listener, per-instance Unix sockets) and of the
// upstream EGD entropy source, registered on `seedwell serve` by AddServeOptions.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace seedwell {

// EgdConfig holds the EGD settings with their defaults. Everything is off unless configured.
struct EgdConfig {
  std::string listen;                // --egd-listen HOST:PORT; empty: no TCP listener
  std::string socket_dir;            // --egd-socket-dir; empty: no per-instance Unix sockets
  std::string socket_mode = "0660";  // permissions of each per-instance socket (octal)
  bool allow_anonymous = false;      // TCP callers matching no instance share one strict bucket
  std::uint64_t anonymous_rate_bytes_per_second = 64;
  std::uint64_t anonymous_burst_bytes = 1024;
  int max_connections = 4096;        // open connections per listener (each Unix socket is one)
  int max_connections_per_peer = 8;  // per TCP source address
  int max_pending = 64;              // requests queued per connection before reading pauses
  int request_timeout_ms = 5000;     // a request begun but not finished for this long: close
  int write_timeout_ms = 30000;      // a reply the client does not take for this long: close
  int idle_timeout_ms = 0;           // nothing asked for this long: close (0: never; QEMU idles)
  int max_wait_ms = 60000;           // longest a blocking read waits for its bytes
  int shutdown_timeout_ms = 2000;    // how long shutdown lets replies in flight finish

  std::string upstream;  // --upstream-egd HOST:PORT or a Unix socket path; empty: no source
  int upstream_timeout_ms = 2000;
  double upstream_min_entropy = 4.0;  // assessed H of the upstream's output, bits per byte
  bool allow_upstream_only = false;   // let the upstream source alone satisfy the seeding policy

  // SocketMode returns socket_mode parsed (validated by FinishEgdConfig).
  unsigned SocketMode() const;
};

// kUpstreamEgdSourceName is the upstream source's name in --sources, --require-sources, status
// and metrics.
inline constexpr const char* kUpstreamEgdSourceName = "upstream-egd";

// AddEgdOptions registers every EgdConfig field on |serve| as --egd-* / --upstream-egd* flags with
// their environment variables. |config| must outlive parsing.
void AddEgdOptions(CLI::App& serve, EgdConfig& config);

// FinishEgdConfig validates |config| (kInvalidArgument naming the setting) and adds the upstream
// source to |sources| when --upstream-egd is set; naming it in |sources| without an address fails.
Result<void> FinishEgdConfig(EgdConfig& config, std::vector<std::string>& sources);

}  // namespace seedwell

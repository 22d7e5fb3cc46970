// EgdOptions: how the EGD server behaves (caps, timeouts, the anonymous bucket) and where it
// listens. Plain data: `seedwell serve` fills it from its settings (cli/egd_config.h).
#pragma once

#include <cstdint>
#include <string>

namespace seedwell {

// EgdOptions holds the EGD server's settings with their defaults. Everything is off unless
// configured (no listener, no socket directory).
struct EgdOptions {
  std::string listen;                // HOST:PORT of the TCP listener; empty: none
  std::string socket_dir;            // directory of per-instance Unix sockets; empty: none
  std::string socket_mode = "0660";  // permissions of each per-instance socket (octal text)
  std::string node;  // node agent: sockets only for instances whose host is this; empty: all
  bool allow_anonymous = false;  // TCP callers matching no instance share one strict bucket
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
};

}  // namespace seedwell

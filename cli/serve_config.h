// ServeConfig: every setting of `seedwell serve`, and how the command line, the environment and a
// config file fill it.
//
// Precedence: a flag beats its environment variable (SEEDWELL_<FLAG_NAME>, e.g. --guest-listen is
// SEEDWELL_GUEST_LISTEN), which beats the config file (--config, TOML or INI, keys named like the
// flags without dashes), which beats the default. `seedwell serve --help` lists every setting with
// its default and environment variable.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/egd_config.h"
#include "cli/guest_config.h"
#include "cli/host_rng_config.h"
#include "crypto/host_port.h"
#include "crypto/result.h"

namespace seedwell {

// ServeConfig holds the settings of `seedwell serve`, with their defaults.
struct ServeConfig {
  std::string state_dir = "/var/lib/seedwell";
  std::string guest_listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:8081";
  std::string public_url;  // guest-facing base URL; empty means http://<bound guest address>
  std::string admin_tls_cert;
  std::string admin_tls_key;
  std::string admin_token_file;  // default: STATE/admin-token
  std::string admin_token_hash;  // alternative to the file: the token's hash (see seedwell keygen)
  // The token Nova's vendordata client sends (X-Auth-Token), opening POST /v1/vendordata only:
  // a file holding it, or its hash. Neither: only the admin token opens that route.
  std::string vendordata_token_file;
  std::string vendordata_token_hash;
  std::string database;  // SQLite file (default STATE/seedwell.db) or postgresql:// URL
  std::string database_password_file;  // PostgreSQL password, never on the command line
  // 32 raw bytes sealing the signing keys in a PostgreSQL database (required with one; checked
  // and unused with SQLite, whose key ring stays in STATE/keys).
  std::string key_encryption_key_file;
  std::string replica_id;  // this process in the cluster; default: hostname-<6 random hex digits>

  // Entropy sources and the DRBG.
  std::vector<std::string> sources = {"rdseed", "rdrand", "hwrng", "kernel"};
  std::vector<std::string> require_sources;
  bool allow_kernel_only = false;
  std::string hwrng_path = "/dev/hwrng";
  int reseed_interval_s = 60;
  std::uint64_t reseed_bytes = 1ULL << 30;
  int fail_closed_grace_s = 300;

  // Rate limits (bytes), shared by every transport: per instance unless its rate_limit overrides
  // them, and a service-wide cap (0 = none).
  std::uint64_t rate_bytes_per_second = 8192;
  std::uint64_t rate_burst_bytes = 65536;
  // The least a draw costs its bucket, whatever its size (a request costs a signature or a DRBG
  // call however few bytes it asks for).
  std::uint64_t rate_min_charge_bytes = 64;
  std::uint64_t global_rate_bytes_per_second = 0;
  std::uint64_t global_burst_bytes = 0;

  // HTTP.
  int http_threads = 48;
  int max_connections = 0;  // guest listener; 0: 2048, or fewer to fit RLIMIT_NOFILE
  int event_loops = 0;      // guest listener's event-loop threads; 0: one per usable CPU
  int max_connections_per_peer = 64;
  int admin_max_connections = 128;
  int request_timeout_ms = 5000;
  int shutdown_timeout_ms = 5000;

  std::string log_level = "info";

  GuestOptions guest;                   // guest entropy routes (cli/guest_config.h)
  EgdOptions egd = ServeEgdDefaults();  // EGD server (cli/egd_config.h)
  UpstreamEgdConfig upstream_egd;       // the upstream EGD entropy source (cli/egd_config.h)
  HostRngOptions host_rng;              // the host-wide FIFO (cli/host_rng_config.h)
};

// AddServeOptions registers every ServeConfig field on |serve| as a flag with its environment
// variable, and the --config file option. |config| must outlive parsing.
void AddServeOptions(CLI::App& serve, ServeConfig& config);

// FinishServeConfig validates |config| after parsing and fills defaults derived from other
// settings (database path, admin token file); the public URL is filled in once the guest
// listener is bound. kInvalidArgument names the bad setting.
Result<void> FinishServeConfig(ServeConfig& config);

}  // namespace seedwell

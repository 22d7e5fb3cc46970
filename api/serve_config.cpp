#include "api/serve_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <set>

namespace seedwell {
namespace {

// EnvFirstConfig reads the config file like CLI11's TOML/INI reader, but drops every entry whose
// environment variable is set. CLI11 2.1 applies the file before the environment, which would let
// the file win; dropping those entries restores flags > environment > file.
class EnvFirstConfig : public CLI::ConfigTOML {
 public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> items = CLI::ConfigTOML::from_config(input);
    items.erase(std::remove_if(items.begin(), items.end(),
                               [](const CLI::ConfigItem& item) {
                                 return std::getenv(EnvironmentName(item.name).c_str()) != nullptr;
                               }),
                items.end());
    return items;
  }
};

const std::set<std::string>& KnownSources() {
  static const std::set<std::string> known = {"rdseed", "rdrand", "hwrng", "kernel",
                                              kUpstreamEgdSourceName};
  return known;
}

std::string DirOf(const std::string& state_dir, const char* leaf) {
  if (!state_dir.empty() && state_dir.back() == '/') return state_dir + leaf;
  return state_dir + "/" + leaf;
}

}  // namespace

std::string EnvironmentName(const std::string& flag_name) {
  std::string env = "SEEDWELL_";
  for (char c : flag_name) {
    env += (c == '-' || c == '.') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

Result<HostPort> ParseHostPort(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Fail(ErrorCode::kInvalidArgument, "expected HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']')
      return Fail(ErrorCode::kInvalidArgument, "bad IPv6 address in '" + text + "'");
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit)) {
    return Fail(ErrorCode::kInvalidArgument, "bad port in '" + text + "'");
  }
  const int port = std::stoi(port_text);
  if (port > 65535) return Fail(ErrorCode::kInvalidArgument, "port out of range in '" + text + "'");
  return HostPort{host, port};
}

void AddServeOptions(CLI::App& serve, ServeConfig& c) {
  serve.config_formatter(std::make_shared<EnvFirstConfig>());
  // CLI11 reads the config file before the environment, so SEEDWELL_CONFIG is resolved here; a
  // file named by it must exist.
  const char* env_config = std::getenv("SEEDWELL_CONFIG");
  serve.set_config("--config", env_config != nullptr ? env_config : "",
                   "Read settings from this TOML/INI file (keys named like the flags; "
                   "env SEEDWELL_CONFIG)",
                   env_config != nullptr);
  auto add = [&serve](const std::string& name, auto& value, const std::string& help) {
    return serve.add_option("--" + name, value, help)
        ->envname(EnvironmentName(name))
        ->capture_default_str();
  };
  add("state-dir", c.state_dir, "Directory for the database, signing keys and the admin token");
  add("guest-listen", c.guest_listen, "HOST:PORT of the guest listener (port 0 picks a free port)");
  add("admin-listen", c.admin_listen, "HOST:PORT of the admin listener (port 0 picks a free port)");
  add("public-url", c.public_url,
      "Base URL guests use to reach the guest listener "
      "(default: http://GUEST-LISTEN)");
  add("admin-tls-cert", c.admin_tls_cert, "PEM certificate: serve the admin listener over TLS");
  add("admin-tls-key", c.admin_tls_key, "PEM private key for --admin-tls-cert");
  add("admin-token-file", c.admin_token_file,
      "File holding the admin bearer token (default STATE/admin-token, generated on first start)");
  add("admin-token-hash", c.admin_token_hash,
      "Accept the admin token with this hash instead of a token file (see seedwell keygen)");
  add("database", c.database, "SQLite database file (default STATE/seedwell.db)");
  add("sources", c.sources, "Entropy sources to use: rdseed, rdrand, hwrng, kernel")
      ->delimiter(',');
  add("require-sources", c.require_sources,
      "Sources that must be healthy for seeding (default: any hardware source)")
      ->delimiter(',');
  serve
      .add_flag("--allow-kernel-only", c.allow_kernel_only,
                "Allow seeding from the kernel alone when no hardware source is healthy")
      ->envname(EnvironmentName("allow-kernel-only"));
  add("hwrng-path", c.hwrng_path, "Hardware RNG device to read (TPM, virtio-rng)");
  add("reseed-interval", c.reseed_interval_s, "Seconds between DRBG reseeds")
      ->check(CLI::Range(1, 86400));
  add("reseed-bytes", c.reseed_bytes, "Bytes of DRBG output after which it reseeds");
  add("fail-closed-grace", c.fail_closed_grace_s,
      "Seconds past a due reseed before output stops (fail closed)")
      ->check(CLI::Range(0, 86400));
  add("rate-bytes-per-second", c.rate_bytes_per_second,
      "Default per-instance entropy rate, bytes/s (an instance's rate_limit overrides it)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  add("rate-burst-bytes", c.rate_burst_bytes, "Default per-instance burst, bytes")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  add("global-rate-bytes-per-second", c.global_rate_bytes_per_second,
      "Service-wide cap on entropy handed out, bytes/s (0: no cap)");
  add("global-burst-bytes", c.global_burst_bytes, "Service-wide burst, bytes");
  add("http-threads", c.http_threads, "HTTP worker threads per listener")
      ->check(CLI::Range(1, 1024));
  add("max-connections", c.max_connections, "Open connections allowed per listener")
      ->check(CLI::Range(1, 1000000));
  add("max-connections-per-peer", c.max_connections_per_peer,
      "Open connections allowed per source address")
      ->check(CLI::Range(1, 1000000));
  add("request-timeout-ms", c.request_timeout_ms, "Deadline for reading one whole request")
      ->check(CLI::Range(10, 600000));
  add("shutdown-timeout-ms", c.shutdown_timeout_ms,
      "How long shutdown waits for in-flight requests")
      ->check(CLI::Range(0, 600000));
  add("log-level", c.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  AddGuestOptions(serve, c.guest);
  AddEgdOptions(serve, c.egd);
}

Result<void> FinishServeConfig(ServeConfig& c) {
  if (c.state_dir.empty())
    return Fail(ErrorCode::kInvalidArgument, "--state-dir must not be empty");
  for (const auto* listen : {&c.guest_listen, &c.admin_listen}) {
    if (auto hp = ParseHostPort(*listen); !hp) return tl::unexpected(hp.error());
  }
  if (auto egd = FinishEgdConfig(c.egd, c.sources); !egd) return egd;
  for (const auto& list : {c.sources, c.require_sources}) {
    for (const auto& name : list) {
      if (!KnownSources().contains(name)) {
        return Fail(
            ErrorCode::kInvalidArgument,
            "unknown source '" + name + "' (known: rdseed, rdrand, hwrng, kernel, upstream-egd)");
      }
    }
  }
  for (const auto& name : c.require_sources) {
    if (std::find(c.sources.begin(), c.sources.end(), name) == c.sources.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "required source '" + name + "' is not in --sources");
    }
  }
  if (c.admin_tls_cert.empty() != c.admin_tls_key.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "--admin-tls-cert and --admin-tls-key go together");
  }
  if (c.rate_burst_bytes < c.rate_bytes_per_second) {
    return Fail(ErrorCode::kInvalidArgument,
                "--rate-burst-bytes must be >= --rate-bytes-per-second");
  }
  if (c.global_rate_bytes_per_second > 0 && c.global_burst_bytes < c.global_rate_bytes_per_second) {
    return Fail(ErrorCode::kInvalidArgument,
                "--global-burst-bytes must be >= --global-rate-bytes-per-second");
  }
  if (auto guest = FinishGuestConfig(c.guest); !guest) return guest;
  if (c.reseed_bytes == 0) return Fail(ErrorCode::kInvalidArgument, "--reseed-bytes must be > 0");
  if (c.database.empty()) c.database = DirOf(c.state_dir, "seedwell.db");
  if (c.admin_token_file.empty() && c.admin_token_hash.empty()) {
    c.admin_token_file = DirOf(c.state_dir, "admin-token");
  }
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  return {};
}

}  // namespace seedwell

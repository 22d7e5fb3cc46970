#include "cli/serve_config.h"

#include <sched.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "cli/option_registration.h"
#include "cli/replica_identity.h"
#include "cli/store_setup.h"
#include "crypto/conditioner.h"
#include "crypto/egd_source.h"

namespace seedwell {
namespace {

// CgroupCpuLimit returns the CPUs a cgroup v2 quota allows this process (cpu.max "QUOTA PERIOD",
// rounded up), or 0 when there is no quota or no cgroup v2 file to read.
int CgroupCpuLimit() {
  std::ifstream file("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (!(file >> quota >> period) || quota == "max" || period <= 0) return 0;
  long long quota_us = 0;
  try {
    quota_us = std::stoll(quota);
  } catch (const std::exception&) {
    return 0;
  }
  return quota_us <= 0 ? 0 : static_cast<int>((quota_us + period - 1) / period);
}

// UsableCpus returns how many CPUs this process may use, 1 to 64: its affinity mask (which
// taskset and cpusets narrow; hardware_concurrency would count the whole machine), and no more
// than a cgroup CPU quota allows (a container's CPU limit, which the mask does not show).
int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int count = ::sched_getaffinity(0, sizeof(set), &set) == 0
                  ? CPU_COUNT(&set)
                  : static_cast<int>(std::thread::hardware_concurrency());
  if (const int quota = CgroupCpuLimit(); quota > 0) count = std::min(count, quota);
  return std::clamp(count, 1, 64);
}

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
                                              EgdSource::kSourceName};
  return known;
}

// KindOfSource returns the kind of a known source name (KnownSources), for the seeding policy.
SourceKind KindOfSource(const std::string& name) {
  if (name == "kernel") return SourceKind::kKernel;
  if (name == EgdSource::kSourceName) return SourceKind::kUpstream;
  return SourceKind::kHardware;  // rdseed, rdrand, hwrng
}

// CheckSourcesCanSeed refuses a source list that could never meet the seeding policy, however
// healthy its sources: otherwise the service would start and answer 503 forever.
Result<void> CheckSourcesCanSeed(const ServeConfig& c) {
  if (c.sources.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "--sources must name at least one entropy source");
  }
  std::vector<SourceKind> kinds;
  for (const auto& name : c.sources) kinds.push_back(KindOfSource(name));
  SeedingPolicy policy;
  policy.allow_kernel_only = c.allow_kernel_only;
  policy.allow_upstream_only = c.upstream_egd.allow_upstream_only;
  if (auto reachable = CheckPolicyReachable(kinds, policy); !reachable) {
    std::string listed;
    for (const auto& name : c.sources) listed += (listed.empty() ? "" : ",") + name;
    return Fail(ErrorCode::kInvalidArgument,
                "--sources " + listed + ": " + reachable.error().message);
  }
  return {};
}

std::string DirOf(const std::string& state_dir, const char* leaf) {
  if (!state_dir.empty() && state_dir.back() == '/') return state_dir + leaf;
  return state_dir + "/" + leaf;
}

}  // namespace

void AddServeOptions(CLI::App& serve, ServeConfig& c) {
  serve.config_formatter(std::make_shared<EnvFirstConfig>());
  // CLI11 reads the config file before the environment, so SEEDWELL_CONFIG is resolved here; a
  // file named by it must exist.
  const char* env_config = std::getenv("SEEDWELL_CONFIG");
  serve.set_config("--config", env_config != nullptr ? env_config : "",
                   "Read settings from this TOML/INI file (keys named like the flags; "
                   "env SEEDWELL_CONFIG)",
                   env_config != nullptr);
  AddSetting(serve, "state-dir", c.state_dir,
             "Directory for the database, signing keys and the admin token");
  AddSetting(serve, "guest-listen", c.guest_listen,
             "HOST:PORT of the guest listener (port 0 picks a free port)");
  AddSetting(serve, "admin-listen", c.admin_listen,
             "HOST:PORT of the admin listener (port 0 picks a free port)");
  AddSetting(serve, "public-url", c.public_url,
             "Base URL guests use to reach the guest listener "
             "(default: http://GUEST-LISTEN)");
  AddSetting(serve, "admin-tls-cert", c.admin_tls_cert,
             "PEM certificate: serve the admin listener over TLS");
  AddSetting(serve, "admin-tls-key", c.admin_tls_key, "PEM private key for --admin-tls-cert");
  AddSetting(
      serve, "admin-token-file", c.admin_token_file,
      "File holding the admin bearer token (default STATE/admin-token, generated on first start)");
  AddSetting(serve, "admin-token-hash", c.admin_token_hash,
             "Accept the admin token with this hash instead of a token file (see seedwell keygen)");
  AddSetting(serve, "vendordata-token-file", c.vendordata_token_file,
             "File holding the swv_ token Nova's vendordata client sends as X-Auth-Token; it "
             "opens POST /v1/vendordata and nothing else (docs/nova.md)");
  AddSetting(serve, "vendordata-token-hash", c.vendordata_token_hash,
             "Accept the vendordata token with this hash instead of a file (seedwell keygen "
             "vendordata-token)");
  AddSetting(serve, "database", c.database,
             "SQLite database file (default STATE/seedwell.db), or a PostgreSQL URL "
             "postgresql://USER@HOST:PORT/DB?sslmode=... shared by replicas (docs/replicas.md)");
  AddSetting(serve, "database-password-file", c.database_password_file,
             "File holding the PostgreSQL password (a URL must not contain one)");
  AddSetting(
      serve, "key-encryption-key-file", c.key_encryption_key_file,
      "File of exactly 32 random bytes (head -c 32 /dev/urandom; not readable by others) "
      "sealing the signing keys stored in a PostgreSQL database; required with one, back it "
      "up with the database. With SQLite it is checked and unused (keys stay in STATE/keys)");
  AddSetting(serve, "replica-id", c.replica_id,
             "This process's name in the cluster (GET /v1/status, the replicas table; the Helm "
             "chart sets the pod name): 1-128 printable characters, unique among the replicas "
             "(default: hostname-<6 random hex digits>)");
  AddSetting(serve, "sources", c.sources,
             "Entropy sources to use: rdseed, rdrand, hwrng, kernel, upstream-egd (needs "
             "--upstream-egd); at least one hardware source, unless --allow-kernel-only or "
             "--allow-upstream-only")
      ->delimiter(',');
  AddSetting(serve, "require-sources", c.require_sources,
             "Sources that must be healthy for seeding (default: any hardware source)")
      ->delimiter(',');
  AddSettingFlag(serve, "allow-kernel-only", c.allow_kernel_only,
                 "Allow seeding from the kernel alone when no hardware source is healthy");
  AddSetting(serve, "hwrng-path", c.hwrng_path,
             "Hardware RNG device to read (TPM, virtio-rng); a FIFO works too, to simulate a "
             "failing source (docs/security.md)");
  AddSetting(serve, "reseed-interval", c.reseed_interval_s, "Seconds between DRBG reseeds")
      ->check(CLI::Range(1, 86400));
  AddSetting(serve, "reseed-bytes", c.reseed_bytes, "Bytes of DRBG output after which it reseeds");
  AddSetting(serve, "fail-closed-grace", c.fail_closed_grace_s,
             "Seconds past a due reseed before output stops (fail closed)")
      ->check(CLI::Range(0, 86400));
  AddSetting(serve, "rate-bytes-per-second", c.rate_bytes_per_second,
             "Default per-instance entropy rate, bytes/s (an instance's rate_limit overrides it); "
             "a budget of the whole cluster: each of N live replicas enforces 1/N of it")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  AddSetting(serve, "rate-burst-bytes", c.rate_burst_bytes, "Default per-instance burst, bytes")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  AddSetting(serve, "rate-min-charge-bytes", c.rate_min_charge_bytes,
             "Least a request costs its instance's bucket, bytes, on every transport (0: the bytes "
             "asked for); never more than the bucket's burst")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 20));
  AddSetting(serve, "global-rate-bytes-per-second", c.global_rate_bytes_per_second,
             "Service-wide cap on entropy handed out, bytes/s (0: no cap); each of N live replicas "
             "enforces 1/N of it");
  AddSetting(serve, "global-burst-bytes", c.global_burst_bytes, "Service-wide burst, bytes");
  AddSetting(serve, "http-threads", c.http_threads, "HTTP worker threads per listener")
      ->check(CLI::Range(1, 1024));
  AddSetting(serve, "max-connections", c.max_connections,
             "Open connections allowed on the guest listener (0: 2048, or fewer to fit the "
             "open-file limit; see docs/security.md)")
      ->check(CLI::Range(0, 1000000));
  AddSetting(serve, "event-loops", c.event_loops,
             "Event-loop threads of the guest listener, each accepting and serving connections "
             "(0: one per CPU this process may run on, at most 64)")
      ->check(CLI::Range(0, 64));
  AddSetting(serve, "admin-max-connections", c.admin_max_connections,
             "Open connections allowed on the admin listener")
      ->check(CLI::Range(1, 1000000));
  AddSetting(serve, "max-connections-per-peer", c.max_connections_per_peer,
             "Open connections allowed per source address")
      ->check(CLI::Range(1, 1000000));
  AddSetting(serve, "request-timeout-ms", c.request_timeout_ms,
             "Deadline for reading one whole request")
      ->check(CLI::Range(10, 600000));
  AddSetting(serve, "shutdown-timeout-ms", c.shutdown_timeout_ms,
             "How long shutdown waits for in-flight requests")
      ->check(CLI::Range(0, 600000));
  AddSetting(serve, "log-level", c.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  AddGuestOptions(serve, c.guest);
  AddEgdOptions(serve, c.egd, c.upstream_egd);
  AddHostRngOptions(serve, c.host_rng);
}

Result<void> FinishServeConfig(ServeConfig& c) {
  if (c.state_dir.empty())
    return Fail(ErrorCode::kInvalidArgument, "--state-dir must not be empty");
  for (const auto* listen : {&c.guest_listen, &c.admin_listen}) {
    SEEDWELL_TRY(ParseHostPort(*listen));
  }
  if (auto egd = FinishEgdConfig(c.egd, c.upstream_egd, c.sources); !egd) return egd;
  if (c.event_loops == 0) c.event_loops = UsableCpus();
  SEEDWELL_TRY(FinishHostRngConfig(c.host_rng));
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
  SEEDWELL_RETURN_IF_ERROR(CheckSourcesCanSeed(c));
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
  if (!c.vendordata_token_file.empty() && !c.vendordata_token_hash.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "give --vendordata-token-file or --vendordata-token-hash, not both");
  }
  if (IsPostgresDatabase(c.database)) {
    SEEDWELL_TRY(CheckPostgresUrl(c.database));
    if (c.key_encryption_key_file.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--key-encryption-key-file is required with a postgresql:// --database: the "
                  "signing keys are stored in the database sealed under it (docs/replicas.md)");
    }
  } else if (!c.database_password_file.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--database-password-file needs a postgresql:// --database");
  } else if (c.database.find("://") != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "--database: only SQLite files and postgresql:// URLs are supported");
  }
  if (c.admin_token_file.empty() && c.admin_token_hash.empty()) {
    c.admin_token_file = DirOf(c.state_dir, "admin-token");
  }
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  if (c.replica_id.empty()) c.replica_id = DefaultReplicaId();
  SEEDWELL_RETURN_IF_ERROR(CheckReplicaId(c.replica_id));
  return {};
}

}  // namespace seedwell

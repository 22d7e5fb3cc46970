#include "cli/config_drive_command.h"
#include "seedwell/version.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "api/routes/app_context.h"
#include "crypto/bounded_json.h"
#include "crypto/key_ring.h"
#include "crypto/self_test.h"
#include "service/config_drive/config_drive_builder.h"
#include "service/entropy_service.h"
#include "service/store/sqlite_store.h"

namespace seedwell {
namespace {

constexpr std::size_t kMaxInputFileBytes = 1 << 20;

// ReadInputFile reads a small caller-supplied file; kInvalidArgument names it on failure.
Result<std::string> ReadInputFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Fail(ErrorCode::kInvalidArgument, std::string("cannot read ") + what + " " + path);
  std::string text;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad() || text.size() > kMaxInputFileBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(what) + " " + path + " is unreadable or too large");
  }
  return text;
}

Result<std::optional<nlohmann::json>> ReadJsonFile(const std::string& path, const char* what) {
  if (path.empty()) return std::nullopt;
  auto text = ReadInputFile(path, what);
  SEEDWELL_RETURN_IF_ERROR(text);
  auto doc = ParseBoundedJson(*text);
  if (!doc) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(what) + " " + path + ": " + doc.error().message);
  }
  return std::optional<nlohmann::json>(std::move(*doc));
}

Result<ConfigDriveRequest> RequestFrom(const ConfigDriveFlags& flags) {
  ConfigDriveRequest request;
  request.instance_id = flags.instance;
  request.seed_file_bytes = flags.seed_bytes;
  request.embed_token = flags.embed_token;
  request.issue_sealing_key = flags.issue_sealing_key;
  if (!flags.user_data_file.empty()) {
    auto text = ReadInputFile(flags.user_data_file, "user data");
    SEEDWELL_RETURN_IF_ERROR(text);
    request.user_data = std::move(*text);
  }
  auto vendor = ReadJsonFile(flags.vendor_data_file, "vendor data");
  SEEDWELL_RETURN_IF_ERROR(vendor);
  request.vendor_data = std::move(*vendor);
  auto network = ReadJsonFile(flags.network_data_file, "network data");
  SEEDWELL_RETURN_IF_ERROR(network);
  request.network_data = std::move(*network);
  return request;
}

// Run does the work; errors come back as values (start-up style exceptions are caught by the
// caller).
Result<BuiltDrive> Run(const ConfigDriveFlags& flags) {
  auto format = ParseConfigDriveFormat(flags.format);
  SEEDWELL_RETURN_IF_ERROR(format);
  auto request = RequestFrom(flags);
  SEEDWELL_RETURN_IF_ERROR(request);

  // Offline use must never initialise a state directory: serve does that (and creates the keys).
  const std::filesystem::path state(flags.state_dir);
  const std::string database =
      flags.database.empty() ? (state / "seedwell.db").string() : flags.database;
  if (!std::filesystem::exists(state / "keys" / "index.json") ||
      !std::filesystem::exists(database)) {
    return Fail(ErrorCode::kFailedPrecondition,
                "no seedwell state in " + flags.state_dir + " (run `seedwell serve` once first)");
  }
  if (!AllSelfTestsPassed(RunCryptoSelfTests())) {
    return Fail(ErrorCode::kInternal, "self-tests failed; run `seedwell selftest` for details");
  }
  auto keys = KeyRing::Open(state / "keys");
  SEEDWELL_RETURN_IF_ERROR(keys);
  auto store = SqliteStore::Open(database);
  Registry registry(*store, [] { return static_cast<std::int64_t>(SystemUnixMillis()); });

  auto entropy = EntropyService::Create(EntropyOptionsFrom(flags.entropy), SteadyClock::Instance());
  SEEDWELL_RETURN_IF_ERROR(entropy);
  SEEDWELL_TRY((*entropy)->Seed());

  EntropyService& service = **entropy;
  ConfigDriveBuilder builder(
      registry, **keys, [&service](std::span<std::uint8_t> out) { return service.Generate(out); },
      flags.service_url, std::string("seedwell ") + kVersion);
  return builder.WriteTo(*request, flags.out, *format);
}

}  // namespace

void AddConfigDriveOptions(CLI::App& command, ConfigDriveFlags& flags) {
  command.add_option("--instance", flags.instance, "Instance id (UUID)")->required();
  command.add_option("--out", flags.out, "Where to write the drive (replaced atomically)")
      ->required();
  command.add_option("--format", flags.format, "iso (ISO 9660, label config-2) or dir")
      ->check(CLI::IsMember({"iso", "dir"}))
      ->capture_default_str();
  command.add_option("--user-data", flags.user_data_file, "File to serve as user_data (<= 64 KiB)");
  command.add_option("--vendor-data", flags.vendor_data_file, "JSON object for vendor_data.json");
  command.add_option("--network-data", flags.network_data_file,
                     "JSON object for network_data.json");
  command.add_option("--state-dir", flags.state_dir, "State directory of seedwell serve")
      ->capture_default_str();
  command.add_option("--database", flags.database, "SQLite database (default: STATE/seedwell.db)");
  command
      .add_option(
          "--service-url", flags.service_url,
          "Guest-facing seedwell URL written into meta_data.json; without it the drive "
          "names http://169.254.169.254, the link-local metadata address, which reaches "
          "seedwell only where the guest listener serves that address (docs/config-drive.md)")
      ->capture_default_str();
  command.add_option("--seed-bytes", flags.seed_bytes, "Size of seedwell/seed.json's raw seed")
      ->check(CLI::Range(kMinSeedFileBytes, kMaxSeedFileBytes))
      ->capture_default_str();
  command.add_flag("--embed-token", flags.embed_token,
                   "Rotate the instance token and put the new one in seedwell/token (the drive "
                   "becomes a secret)");
  command.add_flag("--issue-sealing-key", flags.issue_sealing_key,
                   "Issue an X25519 sealing key pair: register the public key, put the private "
                   "key in seedwell/sealing_key (the drive becomes a secret)");
  AddEntropyFlags(command, flags.entropy);
}

int RunConfigDriveCommand(const ConfigDriveFlags& flags, std::ostream& out) {
  Result<BuiltDrive> drive = Fail(ErrorCode::kInternal, "not run");
  try {
    drive = Run(flags);
  } catch (const std::exception& e) {  // start-up errors: unreadable database, bad schema
    spdlog::error("config-drive: {}", e.what());
    return 1;
  }
  if (!drive) {
    spdlog::error("config-drive: {} ({})", drive.error().message,
                  ErrorCodeName(drive.error().code));
    return 1;
  }
  out << "wrote " << flags.out << " format=" << flags.format << " instance=" << drive->instance_id
      << " kid=" << drive->key_id << " bytes=" << drive->size_bytes
      << " secret=" << (drive->has_secrets ? "yes" : "no") << "\n";
  if (drive->has_secrets) {
    spdlog::warn("config-drive: {} holds a token or private key: protect it like one", flags.out);
  }
  return 0;
}

}  // namespace seedwell

// ConfigDriveBuilder: builds an instance's config drive end to end, for the `seedwell
// config-drive` command and the admin route POST /v1/instances/{id}/config-drive.
//
// Order of work, so that a refused or failed build changes as little as possible:
//   1. look the instance up (kNotFound) and refuse a revoked one (kFailedPrecondition);
//   2. validate every input (kInvalidArgument) before touching any state;
//   3. only then, if asked, issue a sealing key pair (the instance's sealing_public_key is
//      replaced) and rotate the instance token (the old token stops working at once);
//   4. render the tree, then the ISO image or the staged directory;
//   5. record the build in the audit table, then commit the output (an audit record may describe
//      a build whose final rename failed; a delivered drive always has one);
//   6. count the drive's random bytes in the instance's usage under the transport config_drive
//      (advisory: a failure to count is logged, not returned).
// Steps 3's changes are not undone if a later step fails: build again (it issues afresh).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "crypto/key_ring.h"
#include "crypto/result.h"
#include "crypto/secret_buffer.h"
#include "service/config_drive/config_drive_content.h"
#include "service/config_drive/seed_file.h"
#include "service/registry.h"

namespace seedwell {

// ConfigDriveFormat is the output form: an ISO 9660 image or a directory tree.
enum class ConfigDriveFormat { kIso, kDirectory };

// ParseConfigDriveFormat parses "iso" or "dir"; anything else is kInvalidArgument.
Result<ConfigDriveFormat> ParseConfigDriveFormat(std::string_view text);

// ConfigDriveRequest is what the caller asks for.
struct ConfigDriveRequest {
  std::string instance_id;
  std::optional<std::string> user_data;
  std::optional<nlohmann::json> vendor_data;
  std::optional<nlohmann::json> network_data;
  std::size_t seed_file_bytes = kDefaultSeedFileBytes;
  bool embed_token = false;        // rotate the token and put the new one in seedwell/token
  bool issue_sealing_key = false;  // new X25519 pair: public key registered, secret on the drive
};

// BuiltDrive describes a finished build. |image| holds the ISO for BuildIso, else it is empty.
struct BuiltDrive {
  std::string instance_id;
  std::string key_id;
  std::uint64_t size_bytes = 0;
  bool has_secrets = false;  // the drive carries a token or a private key (a credential)
  SecretBuffer image;
  std::uint64_t seed_bytes = 0;  // DRBG bytes on the drive (seed file, nonce, random_seeds)
};

// ConfigDriveBuilder runs the steps above. It holds references to |registry| and |keys|, which
// must outlive it. Thread-safe if |random| is.
class ConfigDriveBuilder {
 public:
  using UnixMillisFn = std::function<std::uint64_t()>;

  ConfigDriveBuilder(Registry& registry, KeyRing& keys, RandomFill random, std::string service_url,
                     std::string publisher, UnixMillisFn now = SystemUnixMillis);

  // BuildIso builds the ISO image in memory and records it. Errors: as in the file comment, plus
  // BuildIsoImage's and the store's.
  Result<BuiltDrive> BuildIso(const ConfigDriveRequest& request);

  // WriteTo builds the drive in |format| and writes it atomically to |out| (StagedOutput),
  // recording it between staging and commit. Errors: as BuildIso, plus ValidateOutputPath's
  // (checked before any state changes) and StagedOutput's.
  Result<BuiltDrive> WriteTo(const ConfigDriveRequest& request, const std::filesystem::path& out,
                             ConfigDriveFormat format);

 private:
  struct Prepared;
  Result<Prepared> Prepare(const ConfigDriveRequest& request);
  Result<SecretBuffer> Iso(const Prepared& prepared);

  Registry& registry_;
  KeyRing& keys_;
  RandomFill random_;
  std::string service_url_;
  std::string publisher_;
  UnixMillisFn now_;
};

}  // namespace seedwell

// FetchConfig: what the guest tool needs to fetch and verify a block (service URL, instance id,
// token, trusted keys, sealing key, seed file), resolved from the config drive and from flags.
//
// Theory of operation: the config drive is written by the hypervisor's side (docs/config-drive.md)
// and is the guest's root of trust: openstack/latest/meta_data.json gives the instance id
// ("uuid") and a "seedwell" section (service_url, kid, public_key); seedwell/token,
// seedwell/sealing_key and seedwell/seed.json are optional. A flag, when given, overrides the
// drive's value; --public-key replaces the drive's key rather than adding to it, so an operator
// can pin keys. Secrets (token, sealing key, seed file text) are read into SecretBuffers.
#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/result.h"
#include "crypto/sealed_box.h"
#include "crypto/secret_buffer.h"
#include "crypto/signing_key.h"
#include "guest/http_get.h"

namespace seedwell {

// FetchFlags are the guest tool's command-line options (guest/fetch_cli.h registers them).
struct FetchFlags {
  std::string config_drive;              // directory or block device; "" probes by label
  bool no_config_drive = false;          // ignore any config drive
  std::string url;                       // service base URL, e.g. http://169.254.169.254
  std::string token_file;                // file holding the instance token
  std::vector<std::string> public_keys;  // trusted Ed25519 public keys (base64)
  std::string instance_id;               // this instance's id
  std::string sealing_key_file;          // file holding the base64 X25519 secret key
  std::size_t bytes = 64;                // block size to request
  double timeout_seconds = 30;           // overall deadline for the online fetch, retries included
  bool skip_seed_file = false;           // do not use seedwell/seed.json
  bool offline = false;                  // use only the seed file; never contact the service
  std::string random_device = "/dev/random";      // where RNDADDENTROPY is issued
  std::string urandom_device = "/dev/urandom";    // written to when crediting is not permitted
  std::string firmware_seed = "auto";             // auto, credentials, fw-cfg, smbios, none
  std::string credential_name = "seedwell.seed";  // the firmware credential's name
  std::string sysfs = "/sys";  // where sysfs is mounted (tests point it elsewhere)
  bool watch_vmgenid = false;  // after the first run, refetch on every VM generation change
  bool after_vmgenid = false;  // one run for a VM generation change (udev rule)
  int watch_max_events = 0;    // with watch_vmgenid: stop after this many (0: never)
  int uevent_fd = -1;          // tests: an inherited descriptor standing in for netlink
};

// FirmwareClaims is what a firmware seed file says about itself (instance id, key, kid). It is
// used only when no config drive and no flag gives them: the hypervisor wrote the firmware tables
// as it writes a config drive, so the two are trusted alike.
struct FirmwareClaims {
  std::string instance_id;
  std::string public_key;
  std::string kid;
};

// FetchConfig is the resolved configuration. Movable, not copyable.
struct FetchConfig {
  std::optional<HttpUrl> service;  // absent when --offline or nothing says where
  std::string service_text;        // the URL as configured, for messages
  std::string instance_id;
  SecretBuffer token;  // empty: no token (source-address or proxy identity)
  std::vector<Ed25519PublicKey> trusted_keys;
  std::optional<SealingKeyPair> sealing_key;
  std::optional<SecretBuffer> seed_file;  // seed.json text, when present and not skipped
  std::string drive_source;               // where the drive came from, "" when none
};

// ResolveFetchConfig combines |flags| with the drive mounted at |drive_dir| (none when empty), or,
// with no drive, with the |firmware| seed's claims (may be null). It fails with kInvalidArgument
// naming the first missing or malformed item: no instance id, no trusted key, no service URL
// unless offline (or a firmware seed is all there is), an unreadable or malformed file.
Result<FetchConfig> ResolveFetchConfig(const FetchFlags& flags,
                                       const std::optional<std::filesystem::path>& drive_dir,
                                       const std::string& drive_source,
                                       const FirmwareClaims* firmware = nullptr);

// ReadSecretFile reads at most |max_bytes| of |path| into a SecretBuffer, dropping one trailing
// newline. kNotFound if it does not exist, kInvalidArgument if larger, kUnavailable otherwise.
Result<SecretBuffer> ReadSecretFile(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace seedwell

// FirmwareSeed: the instance's signed seed file as the hypervisor hands it over through firmware,
// as a systemd credential (default name "seedwell.seed"), readable before any disk or network.
//
// Theory of operation: seedwell's admin route POST /v1/instances/{id}/smbios-seed renders the seed
// file (the config drive's seedwell/seed.json) as `io.systemd.credential.binary:NAME=BASE64` for
// an SMBIOS type 11 OEM string, and raw for the fw_cfg file `opt/io.systemd.credentials/NAME`.
// The guest looks, in this order, in $CREDENTIALS_DIRECTORY/NAME (systemd imported it for this
// unit), in /sys/firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/NAME/raw (module
// qemu_fw_cfg), and in every /sys/firmware/dmi/entries/11-*/raw (the SMBIOS type 11 structures).
// The bytes of an SMBIOS structure come from the hypervisor and are parsed as untrusted input:
// a formatted header (type, length, handle, string count) followed by NUL-terminated strings and
// a final NUL. The seed text is kept in SecretBuffers; the OEM strings are views into one.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

inline constexpr std::string_view kFirmwareCredentialName = "seedwell.seed";

// FirmwareSeedSource selects where to look; kAuto tries every source in the order above.
enum class FirmwareSeedSource { kAuto, kCredentials, kFwCfg, kSmbios, kNone };

// ParseFirmwareSeedSource parses "auto", "credentials", "fw-cfg", "smbios" or "none";
// kInvalidArgument otherwise.
Result<FirmwareSeedSource> ParseFirmwareSeedSource(std::string_view text);

// FirmwarePaths are the places to look; tests point them at a fake tree.
struct FirmwarePaths {
  std::filesystem::path sysfs = "/sys";
  std::string credentials_dir;  // $CREDENTIALS_DIRECTORY; "" when not run as a systemd unit
};

// FirmwareSeed is a found credential: the seed file text and where it came from.
struct FirmwareSeed {
  SecretBuffer text;
  std::string source;  // e.g. "SMBIOS type 11 OEM string (/sys/firmware/dmi/entries/11-0/raw)"
};

// ParseSmbiosOemStrings parses one raw SMBIOS type 11 structure and returns its strings, as views
// into |raw|. kInvalidArgument when the type is not 11, the header is short or claims more than
// |raw| holds, a string runs off the end, or there are fewer strings than the count says.
Result<std::vector<std::string_view>> ParseSmbiosOemStrings(std::span<const std::uint8_t> raw);

// CredentialFromOemStrings finds credential |name| among |strings|
// (`io.systemd.credential.binary:NAME=BASE64` or `io.systemd.credential:NAME=TEXT`) and returns
// its decoded value; nothing when absent; kInvalidArgument when the value is empty or the base64
// is malformed.
Result<std::optional<SecretBuffer>> CredentialFromOemStrings(
    std::span<const std::string_view> strings, std::string_view name);

// FindFirmwareSeed looks for credential |name| in |source| (every source in order for kAuto) under
// |paths|. Nothing when no source holds it; an error when a source exists but is unreadable or
// malformed (kInvalidArgument, kUnavailable), naming the path.
Result<std::optional<FirmwareSeed>> FindFirmwareSeed(const FirmwarePaths& paths,
                                                     FirmwareSeedSource source,
                                                     std::string_view name);

}  // namespace seedwell

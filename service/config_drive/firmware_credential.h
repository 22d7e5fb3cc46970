// FirmwareCredential: an instance's signed seed file (seed_file.h, the same document a config drive
// carries as seedwell/seed.json) dressed as a systemd credential that the hypervisor hands the
// guest through firmware, before any disk or network exists.
//
// Theory of operation: systemd, and the guest tool, read credentials from SMBIOS type 11 OEM
// strings of the form `io.systemd.credential.binary:NAME=BASE64`, and from the QEMU fw_cfg file
// `opt/io.systemd.credentials/NAME` (raw content). This file renders the three forms an
// orchestrator pastes into the domain it starts: QEMU's `-smbios type=11,value=...`, QEMU's
// `-fw_cfg name=...,string=...` (commas doubled, QEMU's option escaping), and libvirt's
// `<sysinfo type='smbios'><oemStrings>` and `<sysinfo type='fwcfg'>` XML. The payload is the seed
// file without its trailing newline. Every rendered string carries the seed: treat it as a secret
// (QEMU's command line is visible to every host user in /proc; prefer `path=`/`file=` there).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

// kDefaultCredentialName names the credential seedwell's guest tool looks for.
inline constexpr std::string_view kDefaultCredentialName = "seedwell.seed";
// kDefaultFirmwareSeedBytes is the seed size of a firmware credential: small, since the whole
// SMBIOS table of an SMBIOS 2.x entry point is at most 64 KiB.
inline constexpr std::size_t kDefaultFirmwareSeedBytes = 512;
// kMaxFirmwareSeedBytes bounds it: 8 KiB of seed is a 15 KiB OEM string.
inline constexpr std::size_t kMaxFirmwareSeedBytes = 8192;

// FirmwareCredential holds the forms of one credential. Each string contains the seed.
struct FirmwareCredential {
  std::string name;                           // the credential's name, e.g. "seedwell.seed"
  std::string oem_string;                     // io.systemd.credential.binary:NAME=BASE64
  std::vector<std::string> qemu_smbios_args;  // {"-smbios", "type=11,value=..."}
  std::vector<std::string> qemu_fw_cfg_args;  // {"-fw_cfg", "name=opt/...,string=..."}
  std::string libvirt_smbios_xml;             // <sysinfo type='smbios'>...</sysinfo>
  std::string libvirt_fw_cfg_xml;             // <sysinfo type='fwcfg'>...</sysinfo>
};

// ValidCredentialName accepts what systemd accepts as a credential name and what survives every
// rendering unescaped: 1 to 64 of [A-Za-z0-9._-], not "." or "..".
bool ValidCredentialName(std::string_view name);

// QemuOptionEscape doubles every comma, as QEMU's option parser wants inside a value.
std::string QemuOptionEscape(std::string_view value);

// MakeFirmwareCredential renders |seed_file| (seed.json text) as credential |name|.
// kInvalidArgument when the name is not valid or the seed file is empty.
Result<FirmwareCredential> MakeFirmwareCredential(const SecretBuffer& seed_file,
                                                  std::string_view name);

}  // namespace seedwell

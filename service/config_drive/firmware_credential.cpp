#include "service/config_drive/firmware_credential.h"

#include <algorithm>
#include <string>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

constexpr std::size_t kMaxCredentialNameBytes = 64;
constexpr std::string_view kOemPrefix = "io.systemd.credential.binary:";
constexpr std::string_view kFwCfgDir = "opt/io.systemd.credentials/";

// XmlEscape escapes the five XML specials (the seed file's JSON has quotes).
std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

bool ValidCredentialName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCredentialNameBytes || name == "." || name == "..") {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string QemuOptionEscape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

Result<FirmwareCredential> MakeFirmwareCredential(const SecretBuffer& seed_file,
                                                  std::string_view name) {
  if (!ValidCredentialName(name)) {
    return Fail(ErrorCode::kInvalidArgument,
                "credential name must be 1 to 64 of A-Z a-z 0-9 . _ - (not . or ..)");
  }
  std::size_t size = seed_file.size();
  if (size > 0 && seed_file.data()[size - 1] == '\n') --size;
  if (size == 0) return Fail(ErrorCode::kInvalidArgument, "the seed file is empty");
  const std::span<const std::uint8_t> payload(seed_file.data(), size);
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());

  FirmwareCredential out;
  out.name = std::string(name);
  out.oem_string = std::string(kOemPrefix) + out.name + "=" + ToBase64(payload);
  out.qemu_smbios_args = {"-smbios", "type=11,value=" + QemuOptionEscape(out.oem_string)};
  const std::string fw_cfg_name = std::string(kFwCfgDir) + out.name;
  out.qemu_fw_cfg_args = {"-fw_cfg", "name=" + fw_cfg_name + ",string=" + QemuOptionEscape(text)};
  out.libvirt_smbios_xml = "<sysinfo type='smbios'><oemStrings><entry>" +
                           XmlEscape(out.oem_string) + "</entry></oemStrings></sysinfo>";
  out.libvirt_fw_cfg_xml = "<sysinfo type='fwcfg'><entry name='" + fw_cfg_name + "'>" +
                           XmlEscape(text) + "</entry></sysinfo>";
  return out;
}

}  // namespace seedwell

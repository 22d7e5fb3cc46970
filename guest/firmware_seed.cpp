#include "guest/firmware_seed.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "guest/received_block.h"

namespace seedwell {
namespace {

constexpr std::uint8_t kSmbiosOemStringsType = 11;
constexpr std::size_t kSmbiosHeaderBytes = 5;  // type, length, handle (2), count
// The whole SMBIOS table of a 2.x entry point is at most 64 KiB; a 3.0 table may be larger, but
// no credential seedwell makes comes close to this bound.
constexpr std::size_t kMaxSmbiosStructureBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxCredentialBytes = std::size_t{256} * 1024;
constexpr std::string_view kBinaryPrefix = "io.systemd.credential.binary:";
constexpr std::string_view kTextPrefix = "io.systemd.credential:";

// ReadOptional reads |path| whole into a SecretBuffer; nothing when it does not exist. Unlike
// ReadSecretFile it trusts no file size: sysfs reports 0 or 4096 for these attributes.
Result<std::optional<SecretBuffer>> ReadOptional(const std::filesystem::path& path,
                                                 std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::optional<SecretBuffer>();
    return Fail(ErrorCode::kUnavailable,
                "cannot read " + path.string() + ": " + std::strerror(err));
  }
  SecretBuffer buf(4096);
  std::size_t used = 0;
  while (true) {
    if (used == buf.size()) {
      if (buf.size() > max_bytes) {
        ::close(fd);
        return Fail(ErrorCode::kInvalidArgument,
                    path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
      }
      SecretBuffer bigger(buf.size() * 2);  // the old buffer is wiped when it is replaced
      std::memcpy(bigger.data(), buf.data(), used);
      buf = std::move(bigger);
    }
    const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Fail(ErrorCode::kUnavailable,
                  "cannot read " + path.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (used > max_bytes) {
    return Fail(ErrorCode::kInvalidArgument,
                path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  SecretBuffer out(used);
  if (used > 0) std::memcpy(out.data(), buf.data(), used);
  return std::optional<SecretBuffer>(std::move(out));
}

Result<std::optional<FirmwareSeed>> FromCredentialsDir(const FirmwarePaths& paths,
                                                       std::string_view name) {
  if (paths.credentials_dir.empty()) return std::optional<FirmwareSeed>();
  const auto path = std::filesystem::path(paths.credentials_dir) / std::string(name);
  auto text = ReadOptional(path, kMaxCredentialBytes);
  SEEDWELL_RETURN_IF_ERROR(text);
  if (!*text) return std::optional<FirmwareSeed>();
  return std::optional<FirmwareSeed>(
      FirmwareSeed{std::move(**text), "systemd credential (" + path.string() + ")"});
}

Result<std::optional<FirmwareSeed>> FromFwCfg(const FirmwarePaths& paths, std::string_view name) {
  const auto path = paths.sysfs / "firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials" /
                    std::string(name) / "raw";
  auto text = ReadOptional(path, kMaxCredentialBytes);
  SEEDWELL_RETURN_IF_ERROR(text);
  if (!*text) return std::optional<FirmwareSeed>();
  return std::optional<FirmwareSeed>(
      FirmwareSeed{std::move(**text), "fw_cfg file (" + path.string() + ")"});
}

Result<std::optional<FirmwareSeed>> FromSmbios(const FirmwarePaths& paths, std::string_view name) {
  const auto dir = paths.sysfs / "firmware/dmi/entries";
  std::error_code ec;
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("11-", 0) == 0) entries.push_back(entry.path() / "raw");
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& path : entries) {
    auto raw = ReadOptional(path, kMaxSmbiosStructureBytes);
    SEEDWELL_RETURN_IF_ERROR(raw);
    if (!*raw) continue;
    auto strings = ParseSmbiosOemStrings((*raw)->span());
    if (!strings) {
      return Fail(strings.error().code, path.string() + ": " + strings.error().message);
    }
    auto value = CredentialFromOemStrings(*strings, name);
    if (!value) return Fail(value.error().code, path.string() + ": " + value.error().message);
    if (*value) {
      return std::optional<FirmwareSeed>(
          FirmwareSeed{std::move(**value), "SMBIOS type 11 OEM string (" + path.string() + ")"});
    }
  }
  return std::optional<FirmwareSeed>();
}

}  // namespace

Result<FirmwareSeedSource> ParseFirmwareSeedSource(std::string_view text) {
  if (text == "auto") return FirmwareSeedSource::kAuto;
  if (text == "credentials") return FirmwareSeedSource::kCredentials;
  if (text == "fw-cfg") return FirmwareSeedSource::kFwCfg;
  if (text == "smbios") return FirmwareSeedSource::kSmbios;
  if (text == "none") return FirmwareSeedSource::kNone;
  return Fail(ErrorCode::kInvalidArgument,
              "firmware seed source must be auto, credentials, fw-cfg, smbios or none");
}

Result<std::vector<std::string_view>> ParseSmbiosOemStrings(std::span<const std::uint8_t> raw) {
  if (raw.size() < kSmbiosHeaderBytes) {
    return Fail(ErrorCode::kInvalidArgument, "SMBIOS structure shorter than its header");
  }
  if (raw[0] != kSmbiosOemStringsType) {
    return Fail(ErrorCode::kInvalidArgument,
                "SMBIOS structure is of type " + std::to_string(raw[0]) + ", not 11");
  }
  const std::size_t formatted = raw[1];
  const std::size_t count = raw[4];
  if (formatted < kSmbiosHeaderBytes || formatted > raw.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                "SMBIOS structure length " + std::to_string(formatted) + " is out of range");
  }
  // The string set: NUL-terminated strings, ended by an empty one. With no strings at all it is
  // two NULs (the first one then also ends the set).
  std::vector<std::string_view> strings;
  std::size_t pos = formatted;
  const char* base = reinterpret_cast<const char*>(raw.data());
  while (true) {
    if (pos >= raw.size()) {
      return Fail(ErrorCode::kInvalidArgument, "SMBIOS string set is not terminated");
    }
    const auto* begin = raw.data() + pos;
    const auto* nul = std::find(begin, raw.data() + raw.size(), std::uint8_t{0});
    if (nul == raw.data() + raw.size()) {
      return Fail(ErrorCode::kInvalidArgument, "SMBIOS string runs off the end of the structure");
    }
    const std::size_t len = static_cast<std::size_t>(nul - begin);
    if (len == 0) break;
    strings.emplace_back(base + pos, len);
    pos += len + 1;
  }
  if (strings.size() < count) {
    return Fail(ErrorCode::kInvalidArgument, "SMBIOS structure announces " + std::to_string(count) +
                                                 " strings but holds " +
                                                 std::to_string(strings.size()));
  }
  strings.resize(count);
  return strings;
}

Result<std::optional<SecretBuffer>> CredentialFromOemStrings(
    std::span<const std::string_view> strings, std::string_view name) {
  for (const std::string_view s : strings) {
    for (const std::string_view prefix : {kBinaryPrefix, kTextPrefix}) {
      if (s.size() <= prefix.size() + name.size() || s.substr(0, prefix.size()) != prefix ||
          s.substr(prefix.size(), name.size()) != name || s[prefix.size() + name.size()] != '=') {
        continue;
      }
      const std::string_view value = s.substr(prefix.size() + name.size() + 1);
      if (value.empty()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "credential " + std::string(name) + " in the SMBIOS OEM strings is empty");
      }
      if (prefix == kBinaryPrefix) {
        auto decoded = DecodeSecretBase64(value, "credential " + std::string(name));
        SEEDWELL_RETURN_IF_ERROR(decoded);
        return std::optional<SecretBuffer>(std::move(*decoded));
      }
      SecretBuffer out(value.size());
      std::memcpy(out.data(), value.data(), value.size());
      return std::optional<SecretBuffer>(std::move(out));
    }
  }
  return std::optional<SecretBuffer>();
}

Result<std::optional<FirmwareSeed>> FindFirmwareSeed(const FirmwarePaths& paths,
                                                     FirmwareSeedSource source,
                                                     std::string_view name) {
  using Finder = Result<std::optional<FirmwareSeed>> (*)(const FirmwarePaths&, std::string_view);
  std::vector<Finder> finders;
  if (source == FirmwareSeedSource::kAuto || source == FirmwareSeedSource::kCredentials) {
    finders.push_back(FromCredentialsDir);
  }
  if (source == FirmwareSeedSource::kAuto || source == FirmwareSeedSource::kFwCfg) {
    finders.push_back(FromFwCfg);
  }
  if (source == FirmwareSeedSource::kAuto || source == FirmwareSeedSource::kSmbios) {
    finders.push_back(FromSmbios);
  }
  for (const Finder finder : finders) {
    auto found = finder(paths, name);
    if (!found || *found) return found;
  }
  return std::optional<FirmwareSeed>();
}

}  // namespace seedwell

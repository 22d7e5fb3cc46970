#include "cli/state_dir.h"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace seedwell {
namespace {

// WriteNewSecretFile creates |path| exclusively with mode 0600 and writes |text| to it, fsyncing
// the file and its directory. Returns false if the file already exists; throws on any other
// failure.
bool WriteNewSecretFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(path.c_str());
      throw std::runtime_error("cannot write " + path);
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    ::unlink(path.c_str());
    throw std::runtime_error("cannot fsync " + path);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return true;
}

}  // namespace

void PrepareStateDir(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (!std::filesystem::is_directory(path, ec)) {
      throw std::runtime_error("state dir " + path + " exists and is not a directory");
    }
    return;
  }
  std::filesystem::create_directories(path, ec);
  if (ec) throw std::runtime_error("cannot create state dir " + path + ": " + ec.message());
  ::chmod(path.c_str(), 0700);
  spdlog::info("event=state_dir_created path={}", path);
}

AdminCredential LoadAdminCredential(const ServeConfig& config) {
  if (!config.admin_token_hash.empty()) {
    return AdminCredential::FromHashHex(config.admin_token_hash);
  }
  const std::string& path = config.admin_token_file;
  if (!std::filesystem::exists(path)) {
    std::string text = Token::Generate(TokenKind::kAdmin).Reveal() + "\n";
    const bool created = WriteNewSecretFile(path, text);
    sodium_memzero(text.data(), text.size());
    if (created) {
      spdlog::warn(
          "event=admin_token_generated file={} mode=0600 note=\"shown nowhere else; use: "
          "curl -H \\\"Authorization: Bearer $(cat {})\\\" ADMIN_URL/v1/status\"",
          path, path);
    }
  }
  return AdminCredential::FromTokenFile(path);
}

std::optional<AdminCredential> LoadVendordataCredential(const ServeConfig& config) {
  if (!config.vendordata_token_hash.empty()) {
    return AdminCredential::FromHashHex(config.vendordata_token_hash, TokenKind::kVendordata);
  }
  if (!config.vendordata_token_file.empty()) {
    return AdminCredential::FromTokenFile(config.vendordata_token_file, TokenKind::kVendordata);
  }
  return std::nullopt;
}

SecretArray<kTokenKeyBytes> LoadTokenKey(const std::string& state_dir) {
  const std::string path = state_dir + "/token-key";
  constexpr std::size_t kHexLength = 2 * kTokenKeyBytes;
  if (!std::filesystem::exists(path)) {
    SecretArray<kTokenKeyBytes> fresh;
    randombytes_buf(fresh.data(), fresh.size());
    SecretArray<kHexLength + 1> hex;
    sodium_bin2hex(reinterpret_cast<char*>(hex.data()), hex.size(), fresh.data(), fresh.size());
    std::string text(reinterpret_cast<const char*>(hex.data()), kHexLength);
    text.push_back('\n');
    if (WriteNewSecretFile(path, text)) spdlog::info("event=token_key_generated file={}", path);
    sodium_memzero(text.data(), text.size());
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("token key " + path + ": cannot open");
  SecretArray<kHexLength + 2> text;
  std::size_t length = 0;
  while (length < text.size()) {
    const ssize_t n = ::read(fd, text.data() + length, text.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    length += static_cast<std::size_t>(n);
  }
  ::close(fd);
  while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r')) --length;
  SecretArray<kTokenKeyBytes> key;
  std::size_t decoded = 0;
  if (length != kHexLength ||
      sodium_hex2bin(key.data(), key.size(), reinterpret_cast<const char*>(text.data()), length,
                     nullptr, &decoded, nullptr) != 0 ||
      decoded != kTokenKeyBytes) {
    throw std::runtime_error("token key " + path + ": not 64 hex digits");
  }
  return key;
}

}  // namespace seedwell

#include "cli/state_dir.h"

#include <fcntl.h>
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

}  // namespace seedwell

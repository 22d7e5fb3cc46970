#include "crypto/key_encryption_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace seedwell {
namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// FileCloser closes a file descriptor when it goes out of scope.
struct FileCloser {
  int fd;
  explicit FileCloser(int f) : fd(f) {}
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;
  FileCloser(FileCloser&&) = delete;
  FileCloser& operator=(FileCloser&&) = delete;
  ~FileCloser() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

Result<KeyEncryptionKey> KeyEncryptionKey::Load(const std::filesystem::path& path) {
  const std::string where = "key-encryption key file " + path.string();
  // Symbolic links are followed on purpose: a Kubernetes Secret volume is a tree of them.
  const FileCloser file(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (file.fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Fail(ErrorCode::kNotFound, where + " does not exist");
    return Fail(ErrorCode::kPermissionDenied, where + ": " + ErrnoText(err));
  }
  struct stat st {};
  if (fstat(file.fd, &st) != 0) return Fail(ErrorCode::kUnavailable, where + ": fstat failed");
  if (!S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kPermissionDenied, where + " is not a regular file");
  }
  if ((st.st_mode & S_IRWXO) != 0) {
    return Fail(ErrorCode::kPermissionDenied,
                where + " is accessible to others; chmod o-rwx it (0600 or 0440)");
  }
  // Read one byte more than the key so that an over-long file is detected.
  KeyEncryptionKey kek;
  SecretArray<kKeyEncryptionKeyBytes + 1> buffer;
  std::size_t len = 0;
  while (len < buffer.size()) {
    const ssize_t n = read(file.fd, buffer.data() + len, buffer.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrorCode::kUnavailable, where + ": read failed");
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  if (len != kKeyEncryptionKeyBytes) {
    const std::string found = len > kKeyEncryptionKeyBytes ? "more than 32" : std::to_string(len);
    return Fail(ErrorCode::kInvalidArgument,
                where + " holds " + found +
                    " bytes; it must hold exactly 32 raw random bytes (no newline, not base64 or "
                    "hex), e.g. from head -c 32 /dev/urandom");
  }
  std::memcpy(kek.key_.data(), buffer.data(), kKeyEncryptionKeyBytes);
  return kek;
}

KeyEncryptionKey KeyEncryptionKey::FromBytes(
    std::span<const std::uint8_t, kKeyEncryptionKeyBytes> key) {
  KeyEncryptionKey kek;
  std::memcpy(kek.key_.data(), key.data(), key.size());
  return kek;
}

KeyEncryptionKey KeyEncryptionKey::Generate() {
  KeyEncryptionKey kek;
  randombytes_buf(kek.key_.data(), kek.key_.size());
  return kek;
}

}  // namespace seedwell

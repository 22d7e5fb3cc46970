#include "crypto/signing_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

// kSeedBase64Chars is the length of the padded base64 of a 32-byte seed.
constexpr std::size_t kSeedBase64Chars = 44;
// kKeyFileBytes is the size of a key file: header, space, base64 seed, newline.
constexpr std::size_t kKeyFileBytes = kEd25519KeyFileHeader.size() + 1 + kSeedBase64Chars + 1;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// FdCloser closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd = -1;
  FdCloser() = default;
  explicit FdCloser(int f) : fd(f) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  FdCloser(FdCloser&&) = delete;
  FdCloser& operator=(FdCloser&&) = delete;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

Result<void> WriteAll(int fd, std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(ErrorCode::kUnavailable, ErrnoText(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

std::string KeyIdFor(const Ed25519PublicKey& public_key) {
  EnsureSodium();
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), public_key.data(), public_key.size());
  return "sw1_" + ToHex(std::span<const std::uint8_t>(digest.data(), 16));
}

bool VerifyEd25519(const Ed25519PublicKey& public_key, std::span<const std::uint8_t> message,
                   const Ed25519Signature& signature) {
  EnsureSodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

SigningKey SigningKey::Generate() {
  EnsureSodium();
  SecretArray<kEd25519SeedBytes> seed;
  randombytes_buf(seed.data(), seed.size());
  return FromSeed(seed.span());
}

SigningKey SigningKey::FromSeed(std::span<const std::uint8_t, kEd25519SeedBytes> seed) {
  EnsureSodium();
  SigningKey key;
  key.secret_key_ = SecretBuffer(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_key_.data(), seed.data());
  key.kid_ = KeyIdFor(key.public_key_);
  return key;
}

Result<SigningKey> SigningKey::Load(const std::filesystem::path& path) {
  const std::string where = "key file " + path.string();
  const FdCloser file(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (file.fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Fail(ErrorCode::kNotFound, where + " does not exist");
    if (err == ELOOP) return Fail(ErrorCode::kPermissionDenied, where + " is a symbolic link");
    if (err == EACCES) return Fail(ErrorCode::kPermissionDenied, where + ": " + ErrnoText(err));
    return Fail(ErrorCode::kUnavailable, where + ": " + ErrnoText(err));
  }
  struct stat st {};
  if (fstat(file.fd, &st) != 0) return Fail(ErrorCode::kUnavailable, where + ": fstat failed");
  if (!S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kPermissionDenied, where + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Fail(ErrorCode::kPermissionDenied,
                where + " is accessible to group or others; chmod 0600 it");
  }

  // Read one byte more than a valid file holds so that an over-long file is detected.
  SecretArray<kKeyFileBytes + 1> text;
  std::size_t len = 0;
  while (len < text.size()) {
    const ssize_t n = read(file.fd, text.data() + len, text.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrorCode::kUnavailable, where + ": read failed");
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  const auto malformed = [&where](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument, where + " is malformed: " + std::string(why));
  };
  if (len != kKeyFileBytes) return malformed("wrong length");
  const std::string_view view(reinterpret_cast<const char*>(text.data()), len);
  if (!view.starts_with(kEd25519KeyFileHeader) || view[kEd25519KeyFileHeader.size()] != ' ') {
    return malformed("missing header");
  }
  if (view.back() != '\n') return malformed("missing final newline");
  SecretArray<kEd25519SeedBytes> seed;
  if (!FromBase64Into(view.substr(kEd25519KeyFileHeader.size() + 1, kSeedBase64Chars),
                      seed.span())) {
    return malformed("seed is not base64 of 32 bytes");
  }
  return FromSeed(seed.span());
}

Result<void> SigningKey::Save(const std::filesystem::path& path) const {
  // Build the file in a wiped-on-exit buffer: it holds the seed.
  SecretArray<kKeyFileBytes + 1> text;  // +1 for the NUL sodium_bin2base64 writes
  std::memcpy(text.data(), kEd25519KeyFileHeader.data(), kEd25519KeyFileHeader.size());
  std::size_t pos = kEd25519KeyFileHeader.size();
  text[pos++] = ' ';
  sodium_bin2base64(reinterpret_cast<char*>(text.data() + pos), kSeedBase64Chars + 1,
                    secret_key_.data(), kEd25519SeedBytes, sodium_base64_VARIANT_ORIGINAL);
  pos += kSeedBase64Chars;
  text[pos++] = '\n';
  return WriteFileAtomically(path, std::span<const std::uint8_t>(text.data(), pos), 0600);
}

Ed25519Signature SigningKey::Sign(std::span<const std::uint8_t> message) const {
  Ed25519Signature signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       secret_key_.data());
  return signature;
}

Result<void> WriteFileAtomically(const std::filesystem::path& path,
                                 std::span<const std::uint8_t> contents, mode_t mode) {
  EnsureSodium();
  std::array<std::uint8_t, 8> suffix{};
  randombytes_buf(suffix.data(), suffix.size());
  std::filesystem::path tmp = path;
  tmp += ".tmp." + ToHex(suffix);
  const std::string where = "writing " + path.string();

  Result<void> status;
  {
    const FdCloser file(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (file.fd < 0) return Fail(ErrorCode::kUnavailable, where + ": " + ErrnoText(errno));
    status = WriteAll(file.fd, contents);
    if (status && fsync(file.fd) != 0) status = Fail(ErrorCode::kUnavailable, ErrnoText(errno));
  }
  if (status && rename(tmp.c_str(), path.c_str()) != 0) {
    status = Fail(ErrorCode::kUnavailable, ErrnoText(errno));
  }
  if (!status) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kUnavailable, where + ": " + status.error().message);
  }
  // Make the rename itself durable.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const FdCloser dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.fd < 0 || fsync(dir_fd.fd) != 0) {
    return Fail(ErrorCode::kUnavailable, where + ": fsync of directory failed");
  }
  return {};
}

}  // namespace seedwell

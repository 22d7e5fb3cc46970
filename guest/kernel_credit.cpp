#include "guest/kernel_credit.h"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "crypto/secret_buffer.h"

namespace seedwell {
namespace {

// One ioctl carries at most this many bytes; larger inputs take several.
constexpr std::size_t kChunkBytes = 1024;

// Credit issues RNDADDENTROPY for |bytes| on |fd|; 0 or an errno value.
int Credit(int fd, std::span<const std::uint8_t> bytes) {
  SecretBuffer request(sizeof(rand_pool_info) + kChunkBytes);
  auto* info = reinterpret_cast<rand_pool_info*>(request.data());
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), kChunkBytes);
    info->entropy_count = static_cast<int>(n * 8);
    info->buf_size = static_cast<int>(n);
    std::memcpy(request.data() + sizeof(rand_pool_info), bytes.data(), n);
    if (::ioctl(fd, RNDADDENTROPY, info) != 0) return errno;
    bytes = bytes.subspan(n);
  }
  return 0;
}

int WriteAll(const std::string& path, std::span<const std::uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      return err;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return ::close(fd) == 0 ? 0 : errno;
}

}  // namespace

Result<CreditOutcome> CreditKernel(std::span<const std::uint8_t> bytes,
                                   const std::string& random_device,
                                   const std::string& urandom_device, std::string* reason) {
  int err = 0;
  const int fd = ::open(random_device.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    err = errno;
  } else {
    err = Credit(fd, bytes);
    ::close(fd);
    if (err == 0) return CreditOutcome::kCredited;
  }
  if (err != EPERM && err != EACCES && err != ENOTTY && err != EINVAL && err != ENOENT) {
    return Fail(ErrorCode::kUnavailable,
                "RNDADDENTROPY on " + random_device + " failed: " + std::strerror(err));
  }
  if (reason != nullptr) {
    *reason = "RNDADDENTROPY on " + random_device + " is not possible (" + std::strerror(err) +
              (err == EPERM ? ": needs CAP_SYS_ADMIN, run as root" : "") + ")";
  }
  if (const int werr = WriteAll(urandom_device, bytes); werr != 0) {
    return Fail(ErrorCode::kUnavailable,
                "cannot write to " + urandom_device + " either: " + std::strerror(werr));
  }
  return CreditOutcome::kMixedOnly;
}

Result<void> ReseedKernelCrng(const std::string& random_device) {
  const int fd = ::open(random_device.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Fail(ErrorCode::kUnavailable,
                "cannot open " + random_device + ": " + std::strerror(err));
  }
  const int rc = ::ioctl(fd, RNDRESEEDCRNG);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return {};
  return Fail(
      err == EPERM || err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
      "RNDRESEEDCRNG on " + random_device + ": " + std::strerror(err));
}

}  // namespace seedwell

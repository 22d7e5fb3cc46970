#include "crypto/hwrng_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace seedwell {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

Result<std::unique_ptr<HwrngSource>> HwrngSource::Open(std::string path,
                                                       std::chrono::milliseconds timeout) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO) {
      return Fail(ErrorCode::kNotFound, "hwrng device " + path + " does not exist");
    }
    if (err == EACCES || err == EPERM) {
      return Fail(ErrorCode::kPermissionDenied, "hwrng device " + path + " is not readable");
    }
    return Fail(ErrorCode::kUnavailable,
                "cannot open hwrng device " + path + ": " + ErrnoText(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Fail(ErrorCode::kInvalidArgument, "hwrng path " + path + " is not a device");
  }
  return std::unique_ptr<HwrngSource>(new HwrngSource(fd, std::move(path), timeout));
}

HwrngSource::HwrngSource(int fd, std::string path, std::chrono::milliseconds timeout)
    : fd_(fd), path_(std::move(path)), timeout_(timeout) {}

HwrngSource::~HwrngSource() { ::close(fd_); }

Result<void> HwrngSource::Read(std::span<std::uint8_t> out) {
  auto result = ReadAll(out);
  if (!result && !out.empty()) sodium_memzero(out.data(), out.size());
  return result;
}

Result<void> HwrngSource::ReadAll(std::span<std::uint8_t> out) {
  using Steady = std::chrono::steady_clock;
  const Steady::time_point deadline = Steady::now() + timeout_;
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd_, out.data() + done, out.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return Fail(ErrorCode::kUnavailable, "hwrng: end of file on " + path_);
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EAGAIN) {
      return Fail(ErrorCode::kUnavailable, "hwrng: reading " + path_ + ": " + ErrnoText(err));
    }
    // Nothing ready: wait for the device, but never past the deadline.
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) {
      return Fail(ErrorCode::kUnavailable, "hwrng: read from " + path_ + " timed out after " +
                                               std::to_string(timeout_.count()) + " ms");
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) {
      return Fail(ErrorCode::kUnavailable, "hwrng: poll on " + path_ + ": " + ErrnoText(errno));
    }
    // On readiness, a timeout or EINTR, loop: read() again and the deadline check decide.
  }
  return {};
}

}  // namespace seedwell

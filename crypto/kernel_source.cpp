#include "crypto/kernel_source.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace seedwell {
namespace {

ssize_t SystemGetrandom(void* buf, std::size_t len, unsigned int flags) {
  return ::getrandom(buf, len, flags);
}

// kMaxAttempts bounds the loop even if the kernel (or a fake) keeps returning 0 bytes.
constexpr int kMaxAttempts = 1000;

}  // namespace

KernelSource::KernelSource(GetrandomFunction getrandom)
    : getrandom_(getrandom != nullptr ? getrandom : &SystemGetrandom) {}

Result<void> KernelSource::Read(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  for (int attempt = 0; done < out.size(); ++attempt) {
    if (attempt == kMaxAttempts) {
      return Fail(ErrorCode::kUnavailable, "getrandom made no progress");
    }
    const ssize_t n = getrandom_(out.data() + done, out.size() - done, GRND_NONBLOCK);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN) {
        return Fail(ErrorCode::kUnavailable, "getrandom: kernel entropy pool not initialised");
      }
      return Fail(ErrorCode::kUnavailable, std::string("getrandom: ") + std::strerror(err));
    }
    if (static_cast<std::size_t>(n) > out.size() - done) {
      return Fail(ErrorCode::kInternal, "getrandom returned more than asked");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace seedwell

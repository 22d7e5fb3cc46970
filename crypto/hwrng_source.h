// HwrngSource: a hardware RNG character device, by default the kernel's /dev/hwrng (which serves
// the current driver in /sys/class/misc/hw_random/rng_current: virtio-rng in most VMs, a TPM, or a
// SoC generator).
//
// Theory of operation. The device is opened O_RDONLY | O_NONBLOCK | O_CLOEXEC once. A read loops
// over read(2), and when the device has nothing ready (EAGAIN) waits in poll(2) for the time left
// of a per-read deadline, so a read is bounded in time even if the device stalls (a virtio-rng
// backend that stopped, a FIFO nobody writes). EINTR is retried; end of file, a timeout or any
// other error fails the read with kUnavailable.
//
// Min-entropy. We cannot know what is behind the device: virtio-rng passes through whatever the
// host feeds it (often the host's /dev/urandom, sometimes nothing better than a PRNG), and TPM
// generators are of unpublished quality. We credit H = 2 bits per byte, a quarter of the maximum,
// so the Conditioner draws 128 bytes per 256-bit seed and the health tests use RCT 16 / APT 190.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "crypto/entropy_source.h"

namespace seedwell {

class HwrngSource final : public EntropySource {
 public:
  // kMinEntropyPerByte is this source's assessed H (see the top of this file).
  static constexpr double kMinEntropyPerByte = 2.0;
  // kDefaultPath and kDefaultTimeout are the usual device and per-read time bound.
  static constexpr const char* kDefaultPath = "/dev/hwrng";
  static constexpr std::chrono::milliseconds kDefaultTimeout{2000};

  // Open opens |path| for non-blocking reads bounded by |timeout| each. It returns kNotFound if
  // the device does not exist, kPermissionDenied if it is not readable, kInvalidArgument for a
  // directory, and kUnavailable for other errors; each message names the path.
  static Result<std::unique_ptr<HwrngSource>> Open(
      std::string path = kDefaultPath, std::chrono::milliseconds timeout = kDefaultTimeout);
  ~HwrngSource() override;
  HwrngSource(const HwrngSource&) = delete;
  HwrngSource& operator=(const HwrngSource&) = delete;

  std::string_view Name() const override { return "hwrng"; }
  SourceKind Kind() const override { return SourceKind::kHardware; }
  double MinEntropyPerByte() const override { return kMinEntropyPerByte; }

  // Read fills |out| within the timeout, or returns kUnavailable (timeout, end of file, I/O error)
  // with |out| wiped.
  Result<void> Read(std::span<std::uint8_t> out) override;

  const std::string& path() const { return path_; }

 private:
  HwrngSource(int fd, std::string path, std::chrono::milliseconds timeout);
  Result<void> ReadAll(std::span<std::uint8_t> out);

  int fd_;
  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace seedwell

// EgdSource: an upstream EGD server (a hardware key's daemon such as ekeyd, or another seedwell)
// as an entropy source.
//
// Theory of operation. The source keeps one stream connection to ADDR (a Unix socket path, or
// "unix:PATH", or HOST:PORT) and reads with EGD blocking reads (command 0x02, at most 255 bytes
// each). Every socket operation is non-blocking and waits in poll(2) for the time left of one
// per-Read deadline, so a Read is bounded in time whatever the upstream does. Any failure (refused,
// reset, timeout, short reply) closes the connection, wipes the partial output and returns
// kUnavailable; the next Read reconnects, but not before a reconnect back-off (100 ms, doubling to
// 10 s, reset by a successful read) so a dead upstream is not hammered. MonitoredSource adds the
// health tests, the start-up test and the quarantine back-off, as for every source.
//
// Min-entropy and policy. What an upstream sends is only as good as the upstream, and the link may
// be tampered with, so the source is of kind kUpstream: by default it is mixed into seeds but never
// satisfies the seeding policy alone (SeedingPolicy::allow_upstream_only opts in, e.g. for a chain
// of seedwells behind one hardware-backed instance). H is configured (default 4 bits per byte).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "crypto/entropy_source.h"

namespace seedwell {

class EgdSource final : public EntropySource {
 public:
  // kDefaultMinEntropyPerByte and kDefaultTimeout are the defaults of the configuration.
  static constexpr double kDefaultMinEntropyPerByte = 4.0;
  static constexpr std::chrono::milliseconds kDefaultTimeout{2000};
  // kSourceName is the source's name in --sources, --require-sources, status and metrics.
  static constexpr const char* kSourceName = "upstream-egd";

  // Create checks |address| (kInvalidArgument for a malformed one, or an H outside (0, 8]); it
  // does not connect: the first Read does.
  static Result<std::unique_ptr<EgdSource>> Create(
      std::string address, std::chrono::milliseconds timeout = kDefaultTimeout,
      double min_entropy_per_byte = kDefaultMinEntropyPerByte);
  ~EgdSource() override;
  EgdSource(const EgdSource&) = delete;
  EgdSource& operator=(const EgdSource&) = delete;

  std::string_view Name() const override { return kSourceName; }
  SourceKind Kind() const override { return SourceKind::kUpstream; }
  double MinEntropyPerByte() const override { return h_; }

  // Read fills |out| from the upstream within the timeout, or returns kUnavailable (|out| wiped)
  // naming the address and the reason.
  Result<void> Read(std::span<std::uint8_t> out) override;

 private:
  EgdSource(std::string address, std::chrono::milliseconds timeout, double h);
  Result<void> Connect(std::chrono::steady_clock::time_point deadline);
  Result<void> ReadChunk(std::span<std::uint8_t> out,
                         std::chrono::steady_clock::time_point deadline);
  void Disconnect();

  const std::string address_;
  const std::chrono::milliseconds timeout_;
  const double h_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace seedwell

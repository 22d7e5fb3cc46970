#include "cli/host_rng_config.h"

#include <algorithm>
#include <string>

#include "cli/option_registration.h"
#include "crypto/clock.h"

namespace seedwell {

void AddHostRngOptions(CLI::App& serve, HostRngOptions& options) {
  HostRngOptions& c = options;
  AddSetting(serve, "host-rng-fifo", c.path,
             "Keep a FIFO at this path filled with DRBG output under one host-wide budget, for "
             "QEMU's rng-random backend (Nova's [libvirt] rng_dev_path); no per-instance "
             "accounting: prefer the EGD sockets where the orchestrator can use them");
  AddSetting(serve, "host-rng-mode", c.mode, "Octal permissions of the FIFO");
  AddSetting(serve, "host-rng-rate-bytes-per-second", c.rate_bytes_per_second,
             "Bytes per second written into the FIFO, for all its readers together")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  AddSetting(serve, "host-rng-burst-bytes", c.burst_bytes,
             "Bytes the FIFO's budget lets through at once after an idle spell (>= the rate)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
}

Result<void> FinishHostRngConfig(const HostRngOptions& options) {
  if (options.path.empty()) return {};
  const std::string& m = options.mode;
  if (m.empty() || m.size() > 4 ||
      !std::all_of(m.begin(), m.end(), [](char ch) { return ch >= '0' && ch <= '7'; }) ||
      std::stoul(m, nullptr, 8) > 0777) {
    return Fail(ErrorCode::kInvalidArgument, "--host-rng-mode must be octal, at most 0777");
  }
  if (options.burst_bytes < options.rate_bytes_per_second) {
    return Fail(ErrorCode::kInvalidArgument,
                "--host-rng-burst-bytes must be >= --host-rng-rate-bytes-per-second");
  }
  if (options.path.back() == '/') {
    return Fail(ErrorCode::kInvalidArgument, "--host-rng-fifo must name a file, not a directory");
  }
  return {};
}

Result<std::unique_ptr<HostRngFifo>> StartHostRng(const HostRngOptions& options,
                                                  EntropyService& entropy, ServeMetrics& metrics) {
  if (options.path.empty()) return std::unique_ptr<HostRngFifo>();
  Counter& bytes = metrics.bytes_issued().WithLabels({"host_rng"});
  return HostRngFifo::Start(
      options, [&entropy](std::span<std::uint8_t> out) { return entropy.Generate(out); },
      SteadyClock::Instance(), &bytes);
}

}  // namespace seedwell

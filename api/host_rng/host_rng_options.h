// HostRngOptions: the host-wide entropy FIFO (`seedwell serve --host-rng-fifo`), for hypervisor
// stacks that can only hand QEMU a file to read (Nova's `[libvirt] rng_dev_path`, QEMU's
// rng-random backend). Plain data: `seedwell serve` fills it from its settings
// (cli/host_rng_config.h).
#pragma once

#include <cstdint>
#include <string>

namespace seedwell {

// HostRngOptions holds the FIFO's settings with their defaults; off unless |path| is set.
struct HostRngOptions {
  std::string path;                            // the FIFO; empty: no host-wide source
  std::string mode = "0660";                   // its permissions (octal text)
  std::uint64_t rate_bytes_per_second = 4096;  // the host-wide budget shared by every reader
  std::uint64_t burst_bytes = 16384;           // what may be written at once after an idle spell
};

}  // namespace seedwell

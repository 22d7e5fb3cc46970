// EGD wire constants: the command bytes and the read bound of the Entropy Gathering Daemon
// protocol, shared by the client (the upstream EGD source, crypto/egd_source.h) and the server
// (api/egd/egd_protocol.h, which documents the whole protocol).
#pragma once

#include <cstddef>
#include <cstdint>

namespace seedwell {

// EgdCommand is an EGD command byte.
enum class EgdCommand : std::uint8_t {
  kEntropyAvailable = 0x00,
  kReadNonBlocking = 0x01,
  kReadBlocking = 0x02,
  kWriteEntropy = 0x03,
  kGetPid = 0x04,
};

// kEgdMaxRead is the most bytes one read request can ask for (the count is one byte).
inline constexpr std::size_t kEgdMaxRead = 255;

}  // namespace seedwell

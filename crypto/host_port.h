// HostPort: a parsed "HOST:PORT" or "[V6]:PORT" address, for listeners (port 0: pick a free
// port) and for the upstream EGD source. One parser, so every setting that takes an address
// accepts and refuses the same text.
#pragma once

#include <string>

#include "crypto/result.h"

namespace seedwell {

// HostPort is a host (name or address, IPv6 without brackets) and a port in [0, 65535].
struct HostPort {
  std::string host;
  int port = 0;
};

// ParseHostPort parses "HOST:PORT" or "[V6]:PORT"; kInvalidArgument naming |text| on anything
// else (no port, a port that is not 0-65535 in decimal, unbalanced brackets).
Result<HostPort> ParseHostPort(const std::string& text);

}  // namespace seedwell

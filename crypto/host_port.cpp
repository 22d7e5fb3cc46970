#include "crypto/host_port.h"

#include <algorithm>

namespace seedwell {

Result<HostPort> ParseHostPort(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Fail(ErrorCode::kInvalidArgument, "expected HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') {
      return Fail(ErrorCode::kInvalidArgument, "bad IPv6 address in '" + text + "'");
    }
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(),
                                           [](char c) { return c >= '0' && c <= '9'; })) {
    return Fail(ErrorCode::kInvalidArgument, "bad port in '" + text + "'");
  }
  const int port = std::stoi(port_text);
  if (port > 65535) return Fail(ErrorCode::kInvalidArgument, "port out of range in '" + text + "'");
  return HostPort{host, port};
}

}  // namespace seedwell

#include "api/routes/metric_labels.h"

#include <array>

namespace seedwell {

std::string MethodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (const std::string_view known : kMethods) {
    if (method == known) return std::string(known);
  }
  return "other";
}

std::string StatusLabel(int status) {
  if (status < 100 || status > 599) return "other";
  return std::to_string(status);
}

}  // namespace seedwell

#include "api/egd/egd_socket_path.h"

namespace seedwell {

std::optional<std::string> EgdSocketPath(const std::string& dir, const std::string& node,
                                         const Instance& instance) {
  if (dir.empty() || instance.state != InstanceState::kActive) return std::nullopt;
  if (!node.empty() && instance.host != node) return std::nullopt;
  std::string path = dir;
  if (path.back() != '/') path += '/';
  path += instance.id;
  path += ".sock";
  return path;
}

}  // namespace seedwell

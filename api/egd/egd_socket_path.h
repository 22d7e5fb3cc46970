// EgdSocketPath: where an instance's EGD Unix socket lives (DIR/<instance-id>.sock) and which
// instances have one, the one rule shared by the sockets (egd_sockets.h) and the admin API that
// reports the path.
#pragma once

#include <optional>
#include <string>

#include "service/instance.h"

namespace seedwell {

// EgdSocketPath returns |instance|'s socket path under |dir|, or nothing when it has no socket
// here: |dir| is empty (no --egd-socket-dir), the instance is not active, or |node| is set (a node
// agent, `seedwell serve --node`) and the instance's host is not |node| (unplaced included).
std::optional<std::string> EgdSocketPath(const std::string& dir, const std::string& node,
                                         const Instance& instance);

}  // namespace seedwell

// EgdSocketPath: where an instance's EGD Unix socket lives (DIR/<instance-id>.sock), the one
// naming rule shared by the sockets (egd_sockets.h) and the admin API that reports the path.
#pragma once

#include <optional>
#include <string>

#include "service/instance.h"

namespace seedwell {

// EgdSocketPath returns |instance|'s socket path under |dir|, or nothing when |dir| is empty (no
// --egd-socket-dir) or the instance is not active (it has no socket).
std::optional<std::string> EgdSocketPath(const std::string& dir, const Instance& instance);

}  // namespace seedwell

// Replica identity: the name a `seedwell serve` process registers under in the cluster
// (--replica-id, service/membership.h) and the host it reports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/result.h"

namespace seedwell {

inline constexpr std::size_t kMaxReplicaIdBytes = 128;

// CheckReplicaId returns kInvalidArgument, naming the fault, unless |id| is 1 to
// kMaxReplicaIdBytes printable ASCII characters without spaces (a pod name, a hostname).
Result<void> CheckReplicaId(std::string_view id);

// HostName returns this machine's hostname ("localhost" if it cannot be read).
std::string HostName();

// DefaultReplicaId returns the hostname (cut to fit) plus "-" and 6 random hex digits, so two
// processes on one host, or a restarted one, never share an id.
std::string DefaultReplicaId();

}  // namespace seedwell

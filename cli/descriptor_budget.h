// DescriptorBudget: fitting every listener's connection caps into the process's open-file limit,
// so that no listener can run the process out of descriptors (and stop the others from accepting).
//
// At start `seedwell serve` raises the soft RLIMIT_NOFILE to the hard limit, then sums what each
// part may hold at once: the guest and admin HTTP listeners (connections, lingering refusals and
// their own sockets, HttpServer::DescriptorsNeeded), the EGD listeners (per enabled kind:
// --egd-max-connections), and a fixed reserve for everything else (standard streams, the log, the
// SQLite database with its journal files, key files, entropy devices, the upstream EGD socket,
// config-drive output files, the EGD event loop). A cap left at 0 means "as many as fit, up to the
// default" (guest 2048, EGD 4096); caps the operator set must fit as given, or start-up fails
// with one message naming the settings.
#pragma once

#include <cstddef>

#include "cli/serve_config.h"
#include "crypto/result.h"

namespace seedwell {

// kDescriptorReserve is what the budget keeps for descriptors that are not connections.
inline constexpr std::size_t kDescriptorReserve = 64;
// kDefaultGuestConnections and kDefaultEgdConnections are the caps chosen when the open-file
// limit allows them; kMinFittedConnections is the least a fitted cap may be.
inline constexpr int kDefaultGuestConnections = 2048;
inline constexpr int kDefaultEgdConnections = 4096;
inline constexpr int kMinFittedConnections = 64;

// LingeringFor returns how many refused connections an HTTP listener with |max_connections| keeps
// open briefly to deliver its 503 (an eighth of the cap, at least 16, at most 512).
std::size_t LingeringFor(int max_connections);

// RaiseOpenFileLimit raises the soft RLIMIT_NOFILE to the hard limit (when it is finite) and
// returns the soft limit in force afterwards. A failure to raise leaves the limit as it was.
std::size_t RaiseOpenFileLimit();

// DescriptorsFor returns the descriptors |config|'s listeners and the reserve need at most, with
// every cap as it stands (0 counts as 0).
std::size_t DescriptorsFor(const ServeConfig& config);

// FitConnectionCaps replaces each cap left at 0 in |config| (--max-connections,
// --egd-max-connections) by the largest that fits |open_file_limit| together with the others, up
// to its default. It returns kInvalidArgument, naming the limit and every cap setting, if the caps
// the operator set do not fit, or if a fitted cap would be below kMinFittedConnections.
Result<void> FitConnectionCaps(ServeConfig& config, std::size_t open_file_limit);

}  // namespace seedwell

// The settings of the EGD server (TCP listener, per-instance Unix sockets: the plain EgdOptions of
// api/egd/egd_options.h) and of the upstream EGD entropy source, registered on `seedwell serve` by
// AddServeOptions.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "api/egd/egd_options.h"
#include "crypto/result.h"

namespace seedwell {

// UpstreamEgdConfig holds the settings of the upstream EGD entropy source (another EGD server
// that seedwell reads as one of its sources); off unless |address| is set.
struct UpstreamEgdConfig {
  std::string address;  // --upstream-egd HOST:PORT or a Unix socket path; empty: no source
  int timeout_ms = 2000;
  double min_entropy = 4.0;          // assessed H of the upstream's output, bits per byte
  bool allow_upstream_only = false;  // let the upstream source alone satisfy the seeding policy
};

// ServeEgdDefaults returns EgdOptions' defaults as `seedwell serve` starts from them: the
// connection cap 0, fitted to the open-file limit at start (cli/descriptor_budget.h).
EgdOptions ServeEgdDefaults();

// ParseSocketMode returns the octal permissions text of --egd-socket-mode as a number, or
// kInvalidArgument unless it is 1-4 octal digits no greater than 0777.
Result<unsigned> ParseSocketMode(const std::string& text);

// AddEgdOptions registers every field of |egd| and |upstream| on |serve| as --egd-* and
// --upstream-egd* flags with their environment variables. Both must outlive parsing.
void AddEgdOptions(CLI::App& serve, EgdOptions& egd, UpstreamEgdConfig& upstream);

// FinishEgdConfig validates |egd| and |upstream| (kInvalidArgument naming the setting) and adds
// the upstream source to |sources| when --upstream-egd is set; naming it in |sources| without an
// address fails.
Result<void> FinishEgdConfig(const EgdOptions& egd, const UpstreamEgdConfig& upstream,
                             std::vector<std::string>& sources);

}  // namespace seedwell

// The settings of the host-wide entropy FIFO (`--host-rng-fifo` and friends: the plain
// HostRngOptions of api/host_rng/host_rng_options.h), registered on `seedwell serve` by
// AddServeOptions, and its start-up from serve's parts.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

#include "api/host_rng/host_rng_fifo.h"
#include "api/host_rng/host_rng_options.h"
#include "api/routes/serve_metrics.h"
#include "crypto/result.h"
#include "service/entropy_service.h"

namespace seedwell {

// AddHostRngOptions registers every field of |options| on |serve| as --host-rng-* flags with
// their environment variables. |options| must outlive parsing.
void AddHostRngOptions(CLI::App& serve, HostRngOptions& options);

// FinishHostRngConfig validates |options| (kInvalidArgument naming the setting); nothing to check
// when no FIFO is configured.
Result<void> FinishHostRngConfig(const HostRngOptions& options);

// StartHostRng starts the FIFO writer on |entropy|, its bytes counted in |metrics| as
// seedwell_bytes_issued_total{transport="host_rng"}; null when no FIFO is configured. The
// failures of HostRngFifo::Start. |entropy| and |metrics| must outlive the result.
Result<std::unique_ptr<HostRngFifo>> StartHostRng(const HostRngOptions& options,
                                                  EntropyService& entropy, ServeMetrics& metrics);

}  // namespace seedwell

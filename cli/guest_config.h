// The settings of the guest listener's entropy routes (identity modes, trusted proxies, anonymous
// access, block size, signature batching: the plain GuestOptions of api/routes/guest_options.h),
// registered on `seedwell serve` by AddGuestOptions; flags, SEEDWELL_* variables and the config
// file work as for every setting.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "api/routes/guest_options.h"
#include "crypto/result.h"

namespace seedwell {

// AddGuestOptions registers every GuestOptions field on |serve|; |config| must outlive parsing.
void AddGuestOptions(CLI::App& serve, GuestOptions& config);

// FinishGuestConfig validates |config| after parsing; kInvalidArgument names the bad setting.
// It does not read the proxy secret file (that happens when the routes are built).
Result<void> FinishGuestConfig(const GuestOptions& config);

}  // namespace seedwell

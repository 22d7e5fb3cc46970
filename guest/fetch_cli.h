// The guest tool's command-line options, shared by `seedwell fetch` and the static
// `seedwell-fetch` binary so both accept exactly the same flags.
#pragma once
#include <CLI/CLI.hpp>

#include "guest/fetch_config.h"

namespace seedwell {

// AddFetchOptions registers the guest tool's flags on |app|, writing into |flags| (which must
// outlive parsing).
void AddFetchOptions(CLI::App& app, FetchFlags& flags);

}  // namespace seedwell

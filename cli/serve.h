// RunServe: the `seedwell serve` command. Starts the entropy core, the store and the keys, binds
// the guest and admin listeners, serves until SIGTERM or SIGINT, then shuts down gracefully.
#pragma once

#include "cli/serve_config.h"

namespace seedwell {

// RunServe runs the service with |config| and returns the process exit code: 0 after a clean
// shutdown, 1 on a start-up error (logged with its cause). It blocks SIGINT and SIGTERM in every
// thread and waits for them on the calling thread.
int RunServe(ServeConfig config);

}  // namespace seedwell

// The state directory of `seedwell serve`: created 0700 on first start; holds the SQLite database,
// the signing keys (keys/) and the generated admin token (admin-token, 0600).
#pragma once

#include <string>

#include "cli/serve_config.h"
#include "service/credentials.h"

namespace seedwell {

// PrepareStateDir creates |path| with mode 0700 if it does not exist. Throws std::runtime_error
// (a start-up error) if it cannot, or if |path| exists and is not a directory.
void PrepareStateDir(const std::string& path);

// LoadAdminCredential returns the admin credential the config names: the configured hash, or the
// token in the token file. When neither exists yet, it generates a token, writes it to the token
// file with mode 0600 (never overwriting an existing file) and logs where it is and how to use it,
// never the token itself. Throws std::runtime_error on failure (a start-up error).
AdminCredential LoadAdminCredential(const ServeConfig& config);

}  // namespace seedwell

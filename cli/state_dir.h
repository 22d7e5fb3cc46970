// The state directory of `seedwell serve`: created 0700 on first start; holds the SQLite database,
// the signing keys (keys/) and the generated admin token (admin-token, 0600).
#pragma once

#include <optional>
#include <string>

#include "cli/serve_config.h"
#include "crypto/secret_buffer.h"
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

// LoadVendordataCredential returns the vendordata credential the config names (the hash, or the
// swv_ token in the file), or nothing when neither is set. Throws std::runtime_error or
// std::invalid_argument if the file or hash is bad (a start-up error).
std::optional<AdminCredential> LoadVendordataCredential(const ServeConfig& config);

// LoadTokenKey returns the 32-byte key of STATE/token-key (64 hex digits, mode 0600), generating
// the file on first start; instance tokens handed to Nova's vendordata calls are derived from it,
// so it is as secret as those tokens and must survive restarts. Throws std::runtime_error if the
// file cannot be created or read or is malformed.
SecretArray<kTokenKeyBytes> LoadTokenKey(const std::string& state_dir);

}  // namespace seedwell

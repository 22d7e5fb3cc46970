// Signing key ring selection for `seedwell serve`: with SQLite the ring is the files of STATE/keys
// (unchanged); with PostgreSQL it lives in the database, sealed under the key-encryption key
// (--key-encryption-key-file), shared by every replica and kept in step by notices and polling.
//
// Switching an existing installation to PostgreSQL: if STATE/keys holds a ring and the database
// holds none, that ring is imported once (sealed), so keys guests already pinned keep verifying;
// if the database already holds a ring, STATE/keys is left alone and unused (a warning names any
// of its keys the database ring lacks).
#pragma once

#include <memory>

#include "cli/serve_config.h"
#include "crypto/key_ring.h"
#include "service/store/postgres_store.h"

namespace seedwell {

// OpenServeKeyRing opens the ring |config| calls for: STATE/keys when |postgres| is null (the
// key-encryption key file, if given, is still checked), else the database's, created or imported
// by the first replica. Throws std::runtime_error with one clear message for a missing, unsafe or
// wrongly sized key-encryption key file, a ring that does not open with that key, or unreadable
// keys.
std::unique_ptr<KeyRing> OpenServeKeyRing(const ServeConfig& config, PostgresStore* postgres);

}  // namespace seedwell

// Store selection for `seedwell serve`: --database is an SQLite file path (the default,
// STATE/seedwell.db) or a postgresql:// URL, whose password comes from --database-password-file.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cli/serve_config.h"
#include "service/registry.h"
#include "service/store/postgres_change_feed.h"
#include "service/store/postgres_store.h"
#include "service/store/store.h"

namespace seedwell {

// IsPostgresDatabase reports whether --database names a PostgreSQL server rather than a file.
bool IsPostgresDatabase(std::string_view database);

// OpenedStore is the store serve runs on; |postgres| points into |store| when it is PostgreSQL.
struct OpenedStore {
  std::unique_ptr<Store> store;
  PostgresStore* postgres = nullptr;
};

// OpenServeStore opens the store |config| names, migrating its schema, and logs
// `event=store backend=...` (never a password). Throws std::runtime_error with one clear message
// (unreadable password file, malformed URL, failed authentication, unreachable server, newer
// schema, unopenable file).
OpenedStore OpenServeStore(const ServeConfig& config);

// StartChangeFeed makes |registry| hear the instance changes other replicas make through
// |store|'s database (see postgres_change_feed.h): each notice is published with the instance as
// now stored (absent when gone), and every (re)connection drops the registry's cache. A key ring
// change by another replica, and every (re)connection, calls |on_key_ring| (may be empty).
std::unique_ptr<PostgresChangeFeed> StartChangeFeed(PostgresStore& store, Registry& registry,
                                                    const std::function<void()>& on_key_ring = {});

}  // namespace seedwell

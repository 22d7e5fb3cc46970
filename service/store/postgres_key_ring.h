// PostgresKeyRing: the signing key ring kept in the PostgreSQL database replicas share, each
// private key sealed under the key-encryption key (crypto/sealed_signing_key.h), so a copy of the
// database gives away public keys only.
//
// Table signing_keys (postgres_migrations.cpp): kid, public key, state, creation time and, for a
// key that is not retired, its sealed seed. Every write (creating or importing the ring, a
// rotation, a retirement) is one transaction under a transaction-level advisory lock
// (kKeyRingLockKey), so replicas starting or rotating at the same moment take turns: exactly one
// creates the ring, and concurrent rotations each demote whichever key is active when they run (no
// rotation is lost or refused). A partial unique index allows at most one active key whatever
// happens. Each write also sends NOTIFY kKeyRingChannel with the writer's
// origin, when it commits, so the other replicas reload at once (postgres_change_feed.h).
//
// Connections: a pool of its own of one connection (key ring calls are rare and serialised by
// KeyRing), opened on first use; calls fail with kUnavailable while the server is away.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/key_encryption_key.h"
#include "crypto/key_ring_backend.h"
#include "service/store/postgres_store.h"

namespace seedwell {
namespace pg {
class PgPool;
}

// kKeyRingChannel is the LISTEN/NOTIFY channel of key ring changes; the payload is the writer's
// origin (PostgresStore::origin).
inline constexpr const char* kKeyRingChannel = "seedwell_keys";

// kKeyRingLockKey is the pg_advisory_xact_lock key that serialises key ring writes.
inline constexpr long long kKeyRingLockKey = 0x5eed'0e11'0002LL;

// PostgresKeyRing implements KeyRingBackend on PostgreSQL; see the top of this file.
class PostgresKeyRing final : public KeyRingBackend {
 public:
  // PostgresKeyRing keeps the ring in the database |options| names (its schema already migrated
  // by PostgresStore::Open), sealed under |kek|; |origin| names this process in notices.
  PostgresKeyRing(const PostgresOptions& options, std::shared_ptr<const KeyEncryptionKey> kek,
                  std::string origin);
  ~PostgresKeyRing() override;
  PostgresKeyRing(const PostgresKeyRing&) = delete;
  PostgresKeyRing& operator=(const PostgresKeyRing&) = delete;

  // Import stores |ring| (a STATE/keys directory's, when switching to PostgreSQL) if the database
  // holds no ring yet, and returns true; it returns false and changes nothing if it holds one.
  // Race-free like LoadOrCreate. kInvalidArgument if a non-retired record lacks its secret.
  Result<bool> Import(const StoredRing& ring);

  Result<StoredRing> LoadOrCreate(const SigningKey& first, std::uint64_t now_ms) override;
  Result<StoredRing> Load() override;
  Result<void> AddActive(const SigningKey& key, std::uint64_t now_ms) override;
  Result<void> Retire(std::string_view kid) override;
  std::string Describe() const override { return "postgresql table signing_keys"; }

 private:
  struct Row;
  Result<bool> StoreIfEmpty(const std::vector<Row>& rows);

  std::unique_ptr<pg::PgPool> pool_;
  std::shared_ptr<const KeyEncryptionKey> kek_;
  std::string origin_;
};

}  // namespace seedwell

// KeyRingBackend: where a KeyRing (key_ring.h) keeps its keys. KeyDirectory (key_directory.h) keeps
// them in files of one directory, for one process; PostgresKeyRing (service/store/
// postgres_key_ring.h) keeps them in a database shared by replicas, sealed under a key-encryption
// key. A KeyRing calls its backend only with its writer lock held; a backend shared by several
// processes must itself keep concurrent writers from breaking the ring (exactly one active key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/signing_key.h"

namespace seedwell {

// KeyState is where a key is in its life.
enum class KeyState { kActive, kVerifyOnly, kRetired };

// KeyStateName returns "active", "verify_only" or "retired".
std::string_view KeyStateName(KeyState state);

// ParseKeyState is the inverse of KeyStateName; nullopt for any other name.
std::optional<KeyState> ParseKeyState(std::string_view name);

// KeyRecord is one key of a ring as stored, without its secret.
struct KeyRecord {
  std::string kid;
  Ed25519PublicKey public_key{};
  KeyState state = KeyState::kActive;
  std::uint64_t created_at_unix_ms = 0;
  bool operator==(const KeyRecord&) const = default;
};

// StoredRing is a whole ring as loaded: its records, oldest first, and the secret keys of every
// record that is not retired, in the same order. Exactly one record is active.
struct StoredRing {
  std::vector<KeyRecord> records;
  std::vector<SigningKey> keys;
};

// KeyRingBackend stores one ring; see the top of this file.
class KeyRingBackend {
 public:
  virtual ~KeyRingBackend() = default;

  // LoadOrCreate returns the stored ring; if none is stored yet it first stores |first| as the
  // only key, active, created at |now_ms|. Of callers racing on an empty store exactly one
  // creates; the others load its ring. Errors as Load.
  virtual Result<StoredRing> LoadOrCreate(const SigningKey& first, std::uint64_t now_ms) = 0;

  // Load returns the stored ring. kNotFound if there is none, kInvalidArgument if it is
  // malformed or a secret does not match its record, kUnauthenticated if a sealed secret does not
  // open, kUnavailable if the storage cannot be reached.
  virtual Result<StoredRing> Load() = 0;

  // AddActive stores |key| as the new active key, created at |now_ms|, and makes the key active
  // until then verify-only, atomically (whichever key that is: another writer may have rotated
  // since this process last loaded the ring). kUnavailable, and nothing changed, if the storage
  // failed.
  virtual Result<void> AddActive(const SigningKey& key, std::uint64_t now_ms) = 0;

  // Retire makes |kid| retired and forgets its secret; retiring a retired key succeeds. kNotFound
  // for an unknown kid, kFailedPrecondition for the active key.
  virtual Result<void> Retire(std::string_view kid) = 0;

  // Describe names the storage for logs ("key directory /var/lib/seedwell/keys").
  virtual std::string Describe() const = 0;
};

}  // namespace seedwell

// KeyRing: the service's signing keys, with rotation, kept by a KeyRingBackend.
//
// Theory of operation: a ring is a list of keys (key_ring_backend.h, KeyRecord). Exactly one key
// is "active" (it signs new blocks); "verify_only" keys were active before a rotation and still
// verify the blocks they signed; "retired" keys verify nothing and their secrets are gone (the
// ring keeps their public key for the record). Where the keys live is the backend's business:
// files in STATE/keys (KeyDirectory, the default) or a database shared by replicas, sealed under a
// key-encryption key (service/store/postgres_key_ring.h). The backend is the source of truth;
// Reload picks up what another process wrote (a rotation through another replica).
//
// Concurrency: the ring's state is an immutable snapshot behind a shared_ptr. Readers (ActiveKey,
// Find, PublicKeys) copy the pointer under a short lock and then work lock-free on a ring that is
// never half-rotated; a SigningKey they hold stays valid after a rotation. Writers (Rotate,
// Retire, Reload) are serialised, persist first, then swap the snapshot in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_ring_backend.h"
#include "crypto/result.h"
#include "crypto/signing_key.h"

namespace seedwell {

// PublicKeyInfo describes one key for a JWKS-like listing. It holds no secret.
struct PublicKeyInfo {
  std::string kid;
  std::string alg;                // always "Ed25519"
  std::string public_key_base64;  // standard base64 with padding of the 32-byte public key
  KeyState state = KeyState::kActive;
  std::uint64_t created_at_unix_ms = 0;
};

// SystemUnixMillis returns the wall-clock time in milliseconds since the Unix epoch.
std::uint64_t SystemUnixMillis();

// KeyRing owns the signing keys of one backend. It is thread-safe.
class KeyRing {
 public:
  // UnixMillisFn returns the wall-clock time (injectable for tests).
  using UnixMillisFn = std::function<std::uint64_t()>;

  // Open loads the ring in directory |dir| (a KeyDirectory), creating |dir| (mode 0700) and one
  // active key if it holds no index and no key files. Errors as KeyDirectory::LoadOrCreate.
  static Result<std::unique_ptr<KeyRing>> Open(const std::filesystem::path& dir,
                                               UnixMillisFn now = SystemUnixMillis);

  // Open loads the ring |backend| stores, creating it with one fresh active key if there is none
  // (KeyRingBackend::LoadOrCreate, whose errors it returns). The ring owns |backend|.
  static Result<std::unique_ptr<KeyRing>> Open(std::unique_ptr<KeyRingBackend> backend,
                                               UnixMillisFn now = SystemUnixMillis);

  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;
  KeyRing(KeyRing&&) = delete;
  KeyRing& operator=(KeyRing&&) = delete;
  ~KeyRing() = default;

  // ActiveKey returns the key that signs new blocks; the caller shares ownership, so the key stays
  // usable even if a rotation happens meanwhile. Never null.
  std::shared_ptr<const SigningKey> ActiveKey() const;

  // Find returns the public key named |kid| if it may verify blocks (active or verify-only). It
  // fails with kNotFound for an unknown kid and kFailedPrecondition for a retired one.
  Result<Ed25519PublicKey> Find(std::string_view kid) const;

  // PublicKeys lists every key the ring knows, retired ones included, oldest first.
  std::vector<PublicKeyInfo> PublicKeys() const;

  // Rotate creates a new active key and makes the previous active key verify-only; it returns
  // the new kid. It rotates the stored ring, whatever other processes did to it since it was
  // loaded, and then uses that ring (reloaded). On failure (kUnavailable: storage) the ring is
  // unchanged.
  Result<std::string> Rotate();

  // Retire makes the key |kid| retired and deletes its secret; retiring a retired key succeeds.
  // It fails with kNotFound for an unknown kid and kFailedPrecondition for the active key.
  Result<void> Retire(std::string_view kid);

  // Reload reads the stored ring again and swaps it in if it differs from the one in use (another
  // process rotated or retired); it returns whether it changed. On failure the ring is unchanged.
  Result<bool> Reload();

  // Describe names where the ring is kept, for logs.
  std::string Describe() const { return backend_->Describe(); }

 private:
  struct Snapshot {
    std::vector<KeyRecord> records;
    std::shared_ptr<const SigningKey> active;
  };

  KeyRing(std::unique_ptr<KeyRingBackend> backend, UnixMillisFn now,
          std::shared_ptr<const Snapshot> snapshot);

  // SnapshotOf checks |ring| (exactly one active key, with its secret) and makes a snapshot.
  static Result<std::shared_ptr<const Snapshot>> SnapshotOf(StoredRing ring);

  std::shared_ptr<const Snapshot> Current() const;
  void Publish(std::shared_ptr<const Snapshot> snapshot);
  // ReloadLocked is Reload with write_mu_ held.
  Result<bool> ReloadLocked();

  const std::unique_ptr<KeyRingBackend> backend_;
  const UnixMillisFn now_;
  std::mutex write_mu_;             // serialises Rotate, Retire and Reload
  mutable std::mutex snapshot_mu_;  // guards only the pointer swap and copy
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace seedwell

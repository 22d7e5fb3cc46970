// KeyRing: the service's signing keys in a directory, with rotation.
//
// Theory of operation: a directory (e.g. STATE/keys/) holds one key file per usable key,
// "<kid>.key" (signing_key.h), and "index.json", the list of every key the ring has known:
//   {"format": "seedwell-keyring-v1",
//    "keys": [{"kid": "sw1_...", "public_key": "<base64>", "state": "active",
//              "created_at_unix_ms": 1700000000000}, ...]}
// States: exactly one key is "active" (it signs new blocks); "verify_only" keys were active before
// a rotation and still verify the blocks they signed; "retired" keys verify nothing and their key
// files are deleted (the index keeps their public key for the record). The index is the source of
// truth and is replaced atomically, after any new key file is durable, so a crash leaves either
// the old ring or the new one.
//
// Concurrency: the ring's state is an immutable snapshot behind a shared_ptr. Readers (ActiveKey,
// Find, PublicKeys) copy the pointer under a short lock and then work lock-free on a ring that is
// never half-rotated; a SigningKey they hold stays valid after a rotation. Writers (Rotate,
// Retire) are serialised, persist first, then swap the snapshot in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
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

// KeyRing owns the signing keys of one directory. It is thread-safe.
class KeyRing {
 public:
  // UnixMillisFn returns the wall-clock time (injectable for tests).
  using UnixMillisFn = std::function<std::uint64_t()>;

  // Open loads the ring in |dir|, creating |dir| (mode 0700) and one active key if it holds no
  // index and no key files. It fails with kFailedPrecondition if key files exist without an index,
  // kInvalidArgument for a malformed index or a key file that does not match it, and with
  // SigningKey::Load's errors for unreadable key files.
  static Result<std::unique_ptr<KeyRing>> Open(const std::filesystem::path& dir,
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
  // the new kid. On failure (kUnavailable: disk) the ring is unchanged.
  Result<std::string> Rotate();

  // Retire makes the key |kid| retired and deletes its key file; retiring a retired key succeeds.
  // It fails with kNotFound for an unknown kid and kFailedPrecondition for the active key.
  Result<void> Retire(std::string_view kid);

 private:
  struct Entry {
    std::string kid;
    Ed25519PublicKey public_key{};
    KeyState state = KeyState::kActive;
    std::uint64_t created_at_unix_ms = 0;
  };
  struct Snapshot {
    std::vector<Entry> entries;
    std::shared_ptr<const SigningKey> active;
  };

  KeyRing(std::filesystem::path dir, UnixMillisFn now, std::shared_ptr<const Snapshot> snapshot);

  // ReadIndex parses |dir|/index.json; WriteIndex replaces it atomically.
  static Result<std::vector<Entry>> ReadIndex(const std::filesystem::path& dir);
  static Result<void> WriteIndex(const std::filesystem::path& dir,
                                 const std::vector<Entry>& entries);
  // LoadSnapshot loads the key files named by |entries| and checks them against it.
  static Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::filesystem::path& dir,
                                                              std::vector<Entry> entries);

  std::shared_ptr<const Snapshot> Current() const;
  void Publish(std::shared_ptr<const Snapshot> snapshot);

  const std::filesystem::path dir_;
  const UnixMillisFn now_;
  std::mutex write_mu_;             // serialises Rotate and Retire
  mutable std::mutex snapshot_mu_;  // guards only the pointer swap and copy
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace seedwell

// KeyDirectory: a key ring kept in one directory (e.g. STATE/keys/), for one process.
//
// The directory holds one key file per usable key, "<kid>.key" (signing_key.h), and "index.json",
// the list of every key the ring has known:
//   {"format": "seedwell-keyring-v1",
//    "keys": [{"kid": "sw1_...", "public_key": "<base64>", "state": "active",
//              "created_at_unix_ms": 1700000000000}, ...]}
// A retired key's file is deleted (the index keeps its public key for the record). The index is
// the source of truth and is replaced atomically, after any new key file is durable, so a crash
// leaves either the old ring or the new one. One process writes a directory; KeyRing serialises
// its own writers.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/key_ring_backend.h"

namespace seedwell {

// KeyDirectory implements KeyRingBackend on the files of |dir|.
class KeyDirectory final : public KeyRingBackend {
 public:
  explicit KeyDirectory(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // HasRing reports whether |dir| holds an index (a ring to load).
  static bool HasRing(const std::filesystem::path& dir);

  // LoadOrCreate creates the directory (mode 0700) and the ring when there is no index. It fails
  // with kFailedPrecondition if key files exist without an index (it will not guess their states).
  Result<StoredRing> LoadOrCreate(const SigningKey& first, std::uint64_t now_ms) override;
  // Load fails with kNotFound without an index, kInvalidArgument for a malformed index or a key
  // file that does not match it, and with SigningKey::Load's errors for unreadable key files.
  Result<StoredRing> Load() override;
  Result<void> AddActive(const SigningKey& key, std::uint64_t now_ms) override;
  Result<void> Retire(std::string_view kid) override;
  std::string Describe() const override { return "key directory " + dir_.string(); }

 private:
  Result<std::vector<KeyRecord>> ReadIndex() const;
  Result<void> WriteIndex(const std::vector<KeyRecord>& records) const;

  const std::filesystem::path dir_;
};

}  // namespace seedwell

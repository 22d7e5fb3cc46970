// KeyEncryptionKey: the 32-byte secret that seals the signing keys a shared database stores
// (sealed_signing_key.h), read from a file such as a mounted Kubernetes Secret.
//
// The file holds exactly 32 raw random bytes (`head -c 32 /dev/urandom > kek`), nothing else: no
// newline, no base64 or hex. It must be a regular file (a symbolic link to one is followed, as a
// Kubernetes Secret volume is made of links) that others cannot access: group access is allowed
// (a Secret mounted with defaultMode 0440 and an fsGroup is group-readable), access by others is
// refused. The key is read straight into a SecretBuffer (locked, guarded, wiped on free); it is
// never logged and never appears in an error message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

// kKeyEncryptionKeyBytes is the size of a key-encryption key and of its file.
inline constexpr std::size_t kKeyEncryptionKeyBytes = 32;

// KeyEncryptionKey owns a 32-byte key in wiped memory. Movable, not copyable.
class KeyEncryptionKey {
 public:
  // Load reads the key file at |path|. It fails with kNotFound if the file does not exist,
  // kPermissionDenied if it is not a regular file, is accessible to others or cannot be opened,
  // and kInvalidArgument if it does not hold exactly 32 bytes. Messages name |path| and the size
  // found, never key bytes.
  static Result<KeyEncryptionKey> Load(const std::filesystem::path& path);

  // FromBytes copies |key| (for tests and tools); the caller keeps and should wipe its copy.
  static KeyEncryptionKey FromBytes(std::span<const std::uint8_t, kKeyEncryptionKeyBytes> key);

  // Generate makes a fresh random key (tests).
  static KeyEncryptionKey Generate();

  // bytes returns the key; it stays owned by this object.
  std::span<const std::uint8_t, kKeyEncryptionKeyBytes> bytes() const {
    return std::span<const std::uint8_t, kKeyEncryptionKeyBytes>(key_.data(), key_.size());
  }

 private:
  KeyEncryptionKey() : key_(kKeyEncryptionKeyBytes) {}

  SecretBuffer key_;
};

}  // namespace seedwell

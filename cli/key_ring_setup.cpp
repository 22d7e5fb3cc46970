#include "cli/key_ring_setup.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "crypto/key_directory.h"
#include "crypto/key_encryption_key.h"
#include "service/store/postgres_key_ring.h"

namespace seedwell {
namespace {

std::shared_ptr<const KeyEncryptionKey> LoadKek(const std::string& path) {
  auto kek = KeyEncryptionKey::Load(path);
  if (!kek) throw std::runtime_error("--key-encryption-key-file: " + kek.error().message);
  return std::make_shared<const KeyEncryptionKey>(std::move(*kek));
}

// ImportKeyDirectory offers the ring in |dir| to the database (imported only if it holds none).
void ImportKeyDirectory(const std::filesystem::path& dir, PostgresKeyRing& backend) {
  if (!KeyDirectory::HasRing(dir)) return;
  KeyDirectory files(dir);
  auto ring = files.Load();
  if (!ring) {
    throw std::runtime_error("signing keys: cannot import " + dir.string() +
                             " into the database: " + ring.error().message);
  }
  auto imported = backend.Import(*ring);
  if (!imported) throw std::runtime_error("signing keys: import: " + imported.error().message);
  if (*imported) {
    spdlog::info("event=key_ring_imported from={} keys={} note=\"{} is no longer used\"",
                 dir.string(), ring->records.size(), dir.string());
    return;
  }
  auto stored = backend.Load();
  if (!stored) return;  // reported when the ring is opened
  for (const KeyRecord& r : ring->records) {
    const bool known = std::any_of(stored->records.begin(), stored->records.end(),
                                   [&r](const KeyRecord& s) { return s.kid == r.kid; });
    if (!known) {
      spdlog::warn(
          "event=key_ring_not_imported dir={} kid={} note=\"the database already holds a key "
          "ring; this key is not used and blocks it signed will not verify against /v1/keys\"",
          dir.string(), r.kid);
    }
  }
}

}  // namespace

std::unique_ptr<KeyRing> OpenServeKeyRing(const ServeConfig& config, PostgresStore* postgres) {
  const std::filesystem::path dir = std::filesystem::path(config.state_dir) / "keys";
  if (postgres == nullptr) {
    if (!config.key_encryption_key_file.empty()) {
      (void)LoadKek(config.key_encryption_key_file);  // a bad file is an error with any store
      spdlog::info(
          "event=key_encryption_key state=unused note=\"the SQLite store keeps the key ring in "
          "{}\"",
          dir.string());
    }
    auto keys = KeyRing::Open(dir);
    if (!keys) throw std::runtime_error("signing keys: " + keys.error().message);
    return std::move(*keys);
  }
  auto backend = std::make_unique<PostgresKeyRing>(
      postgres->options(), LoadKek(config.key_encryption_key_file), postgres->origin());
  ImportKeyDirectory(dir, *backend);
  auto keys = KeyRing::Open(std::move(backend));
  if (!keys) {
    std::string message = "signing keys in the database: " + keys.error().message;
    if (keys.error().code == ErrorCode::kUnauthenticated) {
      message += "; is --key-encryption-key-file " + config.key_encryption_key_file +
                 " the key the ring was sealed with?";
    }
    throw std::runtime_error(message);
  }
  spdlog::info("event=key_ring backend=postgresql sealed=xchacha20poly1305 key_file={}",
               config.key_encryption_key_file);
  return std::move(*keys);
}

}  // namespace seedwell

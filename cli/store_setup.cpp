#include "cli/store_setup.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "service/store/sqlite_store.h"

namespace seedwell {
namespace {

constexpr std::size_t kMaxPasswordBytes = 1024;

// ReadPasswordFile reads the password (one trailing newline dropped) into wiped memory.
std::shared_ptr<const SecretBuffer> ReadPasswordFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("--database-password-file " + path + ": " + std::strerror(errno));
  }
  auto buffer = std::make_shared<SecretBuffer>(kMaxPasswordBytes + 1);
  in.read(reinterpret_cast<char*>(buffer->data()), static_cast<std::streamsize>(buffer->size()));
  auto size = static_cast<std::size_t>(in.gcount());
  if (size > kMaxPasswordBytes) {
    throw std::runtime_error("--database-password-file " + path + ": longer than 1024 bytes");
  }
  while (size > 0 && (buffer->data()[size - 1] == '\n' || buffer->data()[size - 1] == '\r')) {
    --size;
  }
  if (size == 0) throw std::runtime_error("--database-password-file " + path + ": empty");
  auto exact = std::make_shared<SecretBuffer>(size);
  std::memcpy(exact->data(), buffer->data(), size);
  return exact;
}

}  // namespace

bool IsPostgresDatabase(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://");
}

OpenedStore OpenServeStore(const ServeConfig& config) {
  if (!IsPostgresDatabase(config.database)) {
    OpenedStore opened{SqliteStore::Open(config.database)};
    spdlog::info("event=store backend=sqlite path={}", config.database);
    return opened;
  }
  PostgresOptions options;
  options.url = config.database;
  if (!config.database_password_file.empty()) {
    options.password = ReadPasswordFile(config.database_password_file);
  }
  auto postgres = PostgresStore::Open(options);
  OpenedStore opened;
  opened.postgres = postgres.get();
  opened.store = std::move(postgres);
  spdlog::info("event=store backend=postgresql url={} password_file={}", config.database,
               config.database_password_file.empty() ? "none" : "set");
  return opened;
}

std::unique_ptr<PostgresChangeFeed> StartChangeFeed(PostgresStore& store, Registry& registry,
                                                    const std::function<void()>& on_key_ring) {
  return PostgresChangeFeed::Start(
      store.options(), store.origin(),
      [&registry](const InstanceEvent& notice) {
        InstanceEvent event = notice;
        if (event.change != InstanceChange::kDeleted) {
          if (auto current = registry.Get(event.id)) event.instance = std::move(*current);
        }
        registry.Publish(event);
      },
      [&registry, on_key_ring] {
        registry.InvalidateAll();
        if (on_key_ring) on_key_ring();  // a key ring notice may have been missed too
      },
      on_key_ring);
}

}  // namespace seedwell

// PostgresStore alone, against a real server (tests/testutil/postgres_server.h): URL checks,
// concurrent migrations, and losing and regaining the server. The Store contract both back ends
// keep is tested in store_contract_test.cpp.
#include "service/store/postgres_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "service/store/postgres_migrations.h"
#include "tests/testutil/store_backends.h"

namespace seedwell {
namespace {

using testing::PostgresBackend;

Instance MakeInstance(const std::string& id) { return testing::MinimalInstance(id); }
TokenHash Hash(std::uint8_t n) { return testing::TokenHashOf(n); }

std::string OpenError(const PostgresOptions& options) {
  try {
    PostgresStore::Open(options);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "opened";
}

TEST(PostgresUrlTest, AcceptsPostgresUrlsAndRefusesOthers) {
  EXPECT_TRUE(CheckPostgresUrl("postgresql://seedwell@db.example:5432/seedwell?sslmode=require"));
  EXPECT_TRUE(CheckPostgresUrl("postgres://u@127.0.0.1/db"));
  for (const char* bad : {"", "/var/lib/seedwell/seedwell.db", "mysql://u@h/db",
                          "postgresql://u@h/db?nosuchoption=1"}) {
    const auto checked = CheckPostgresUrl(bad);
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(PostgresUrlTest, RefusesAPasswordInTheUrl) {
  for (const char* url : {"postgresql://u:secret@h/db", "postgresql://u@h/db?password=secret"}) {
    const auto checked = CheckPostgresUrl(url);
    ASSERT_FALSE(checked.has_value()) << url;
    EXPECT_NE(checked.error().message.find("--database-password-file"), std::string::npos);
    EXPECT_EQ(checked.error().message.find("secret"), std::string::npos);  // never echoed
  }
}

TEST(PostgresStoreTest, UnreachableServerIsOneClearStartError) {
  const auto start = std::chrono::steady_clock::now();
  PostgresOptions options;
  options.url = "postgresql://seedwell@127.0.0.1:1/seedwell";
  const std::string error = OpenError(options);
  EXPECT_NE(error.find("database connection"), std::string::npos) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(PostgresStoreTest, MissingDatabaseIsOneClearStartError) {
  PostgresBackend backend;
  PostgresOptions options = backend.Options();
  options.url.replace(options.url.find(backend.database()), backend.database().size(), "nosuch");
  EXPECT_NE(OpenError(options).find("does not exist"), std::string::npos);
}

TEST(PostgresStoreTest, ReplicasStartingTogetherMigrateOnce) {
  PostgresBackend backend;
  constexpr int kReplicas = 6;
  std::vector<std::unique_ptr<PostgresStore>> stores(kReplicas);
  std::vector<std::string> errors(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      try {
        stores[i] = PostgresStore::Open(backend.Options());
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kReplicas; ++i) EXPECT_EQ(errors[i], "") << "replica " << i;
  EXPECT_EQ(backend.Query("SELECT count(*) || ' ' || max(version) FROM seedwell_schema"),
            "1 " + std::to_string(pg::LatestPostgresSchemaVersion()));
  // Every replica sees what one of them wrote.
  const std::string id = "00000000-0000-4000-8000-000000000001";
  ASSERT_TRUE(stores[0]->Create(MakeInstance(id), Hash(1)).has_value());
  for (auto& store : stores) EXPECT_EQ(store->Get(id)->id, id);
}

TEST(PostgresStoreTest, ReplacesConnectionsTheServerClosed) {
  PostgresBackend backend;
  auto store = PostgresStore::Open(backend.Options());
  const std::string id = "00000000-0000-4000-8000-000000000002";
  ASSERT_TRUE(store->Create(MakeInstance(id), Hash(2)).has_value());
  // As after a server restart: every connection of the store is closed under it.
  backend.Query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()");
  const auto got = store->Get(id);  // no failed call: a dead connection is replaced
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->id, id);
  EXPECT_TRUE(store->Ping().has_value());
}

TEST(PostgresStoreTest, UnavailableWhileTheDatabaseRefusesThenRecovers) {
  PostgresBackend backend;
  auto store = PostgresStore::Open(backend.Options());
  const std::string db = backend.database();
  auto& server = testing::PostgresServer::Shared();
  server.Query("postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
  server.Query(
      "postgres",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db + "'");
  const auto down = store->Get("00000000-0000-4000-8000-000000000003");
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable) << down.error().message;
  EXPECT_EQ(store->Ping().error().code, ErrorCode::kUnavailable);
  server.Query("postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
  // Back within the longest back-off (2 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!store->Ping() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(store->Ping().has_value());
  EXPECT_EQ(store->Get("00000000-0000-4000-8000-000000000003").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace seedwell

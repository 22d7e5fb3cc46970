// PostgresServer: the real PostgreSQL server a test binary's PostgreSQL tests run against, and a
// fresh database per test.
//
// Under ctest the server is started once for the whole run by the fixture test
// `postgres_server_start` (tests/testutil/pg_test_server.sh) and named by the environment variable
// SEEDWELL_TEST_PG_DIR; run directly, a test binary starts its own on first use, in a temporary
// directory, and stops it at exit. The server listens only on a Unix socket in that directory.
#pragma once

#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "tests/testutil/temp_dir.h"

namespace seedwell::testing {

class PostgresServer {
 public:
  // Shared returns the server of this process, starting one if the environment names none.
  // Throws std::runtime_error if it cannot be started.
  static PostgresServer& Shared() {
    static PostgresServer server;
    return server;
  }

  ~PostgresServer() {
    if (owned_) Script("stop");
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // CreateDatabase makes a new empty database and returns its name.
  std::string CreateDatabase() {
    static std::atomic<int> counter{0};
    const std::string name =
        "t_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1));
    Query("postgres", "CREATE DATABASE " + name);
    return name;
  }

  // DropDatabase removes |name|, closing any connection still open to it.
  void DropDatabase(const std::string& name) {
    Query("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  // Url returns the postgresql:// URL of database |name| (over the Unix socket).
  std::string Url(const std::string& name) const {
    return "postgresql://seedwell@/" + name + "?host=" + dir_;
  }

  // Query runs |sql| in database |name| with psql and returns its unaligned output (rows joined by
  // newlines, no trailing newline). Throws std::runtime_error if psql fails.
  std::string Query(const std::string& name, const std::string& sql) const {
    std::string quoted;  // |sql| in single quotes for the shell
    for (const char c : sql) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    const std::string command = "psql -h '" + dir_ + "' -U seedwell -d " + name +
                                " -X -qAt -v ON_ERROR_STOP=1 -c '" + quoted + "' 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen psql failed");
    std::string out;
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    const int status = pclose(pipe);
    if (status != 0) throw std::runtime_error("psql: " + sql + ": " + out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  // dir is the server's socket directory.
  const std::string& dir() const { return dir_; }

 private:
  PostgresServer() {
    if (const char* env = std::getenv("SEEDWELL_TEST_PG_DIR"); env != nullptr && *env != '\0') {
      dir_ = env;
      return;
    }
    temp_ = std::make_unique<TempDir>();
    dir_ = temp_->path().string();
    owned_ = true;
    if (!Script("start")) {
      owned_ = false;
      throw std::runtime_error("could not start PostgreSQL for the tests in " + dir_);
    }
  }

  bool Script(const std::string& verb) const {
    const std::string command = std::string("bash '") + SEEDWELL_TEST_DATA_DIR +
                                "/../testutil/pg_test_server.sh' " + verb + " '" + dir_ + "'";
    return std::system(command.c_str()) == 0;  // NOLINT(cert-env33-c): a test helper
  }

  std::unique_ptr<TempDir> temp_;
  std::string dir_;
  bool owned_ = false;
};

}  // namespace seedwell::testing

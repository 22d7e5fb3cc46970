// PgPool: a small pool of PostgreSQL connections shared by the store's request threads, with
// reconnection and back-off.
//
// A connection is checked out for one call (Lease) and returned afterwards. Before a pooled
// connection is handed out it is checked (PgConnection::Healthy), so a connection the server
// closed (a restart) is replaced rather than failing the caller's statement. Connecting is
// throttled: after a failed attempt the next one waits 100 ms, doubling up to 2 s, and calls in
// between fail at once with kUnavailable instead of queueing behind a dead server; the first
// success resets the delay. The pool never holds its mutex while talking to the server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "crypto/result.h"
#include "service/store/postgres_connection.h"

namespace seedwell::pg {

class PgPool;

// Lease is one checked-out connection, returned to its pool when destroyed (dropped instead if
// it broke meanwhile).
class Lease {
 public:
  Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
  ~Lease();
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  PgConnection* operator->() const { return conn_.get(); }
  PgConnection& operator*() const { return *conn_; }

 private:
  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

// PgPool is described at the top of this file. Thread-safe.
class PgPool {
 public:
  static constexpr std::chrono::milliseconds kMinBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};
  static constexpr std::chrono::milliseconds kAcquireTimeout{5000};

  // PgPool keeps at most |size| (>= 1) connections to |options|; none is opened yet.
  PgPool(ConnectOptions options, std::size_t size);

  // Acquire returns a healthy connection, opening one if needed. kUnavailable if the server cannot
  // be reached (or is in back-off after a failure), or if every connection stayed busy for
  // kAcquireTimeout; other codes as PgConnection::Connect.
  Result<Lease> Acquire();

  const ConnectOptions& options() const { return options_; }

 private:
  friend class Lease;
  void Return(std::unique_ptr<PgConnection> conn);

  const ConnectOptions options_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t open_ = 0;  // idle plus checked out plus being opened
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace seedwell::pg

#include "service/store/postgres_pool.h"

#include <algorithm>
#include <utility>

namespace seedwell::pg {

Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_));
}

PgPool::PgPool(ConnectOptions options, std::size_t size)
    : options_(std::move(options)), size_(std::max<std::size_t>(size, 1)) {}

Result<Lease> PgPool::Acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + kAcquireTimeout;
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (conn->Healthy()) return Lease(this, std::move(conn));
      conn.reset();  // closed by the server: open a fresh one below
      lock.lock();
      --open_;
    }
    if (open_ < size_) break;
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= size_) {
      return Fail(ErrorCode::kUnavailable, "database: every connection is busy");
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    return Fail(ErrorCode::kUnavailable, "database unreachable (reconnecting with back-off)");
  }
  ++open_;
  lock.unlock();
  auto conn = PgConnection::Connect(options_);
  lock.lock();
  if (!conn) {
    --open_;
    backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    returned_.notify_one();
    return tl::unexpected(conn.error());
  }
  backoff_ = std::chrono::milliseconds(0);
  next_attempt_ = {};
  return Lease(this, std::move(*conn));
}

void PgPool::Return(std::unique_ptr<PgConnection> conn) {
  const bool keep =
      PQstatus(conn->raw()) == CONNECTION_OK && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE;
  if (!keep) conn.reset();
  const std::lock_guard lock(mutex_);
  if (keep) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  returned_.notify_one();
}

}  // namespace seedwell::pg

// ConnectionCaps: the connection caps of one HttpServer, shared by all its event loops (HttpLoop):
// the total and per-address counts, the queues of connections waiting for a request (the order in
// which the cap evicts them), and the number of refused connections lingering.
//
// Theory of operation. Each loop owns its connections; the caps only count and order them. At the
// total cap a newcomer takes the slot of the connection that has waited longest for a request
// (unidentified callers first, then identified ones), whichever loop owns it. A victim owned by
// the admitting loop is handed back to be closed at once. A victim owned by another loop cannot be
// closed from here (its loop may be reading it), so its socket is shut down, under the caps' lock,
// and it is marked evicted: its loop sees end of file, or the mark, and closes it. The lock makes
// the shutdown safe, because a loop releases a connection (Release, under the same lock) before
// it closes the socket, so the descriptor cannot have been reused. Until its loop closes it, an
// evicted connection no longer counts against the cap; at most kMaxEvicting are in that state at
// once, which bounds the descriptors held beyond the cap.
//
// Thread-safety: every method may be called from any loop thread; each takes one mutex for a few
// pointer and map updates (a system call only when evicting across loops). A connection's counted
// flag and queue links are only read and written under that mutex.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "api/http/connection_queue.h"
#include "api/http/http_connection.h"

namespace seedwell {

// ConnectionCapLimits are the caps ConnectionCaps enforces (from HttpServerOptions).
struct ConnectionCapLimits {
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_peer = 64;
  std::size_t max_lingering = 512;
};

// ConnectionCaps counts and orders the connections of one server's loops; see the file comment.
// It borrows the connections it queues: a loop must Release a connection before destroying it.
class ConnectionCaps {
 public:
  // kMaxEvicting bounds connections evicted across loops but not yet closed by their own loop.
  static constexpr std::size_t kMaxEvicting = 64;

  explicit ConnectionCaps(ConnectionCapLimits limits) : limits_(limits) {}
  ConnectionCaps(const ConnectionCaps&) = delete;
  ConnectionCaps& operator=(const ConnectionCaps&) = delete;

  // Admit counts |c| (owned by |loop|) against the caps and queues it as waiting, making room at
  // the total cap by evicting as the file comment says. If the victim is owned by |loop|, it is
  // returned in |evict_here| (already uncounted and unqueued), and the caller must close it. It
  // returns false, changing nothing, when |c|'s address is at its cap, or every slot is busy
  // with a request, or kMaxEvicting evictions are still being closed by other loops.
  bool Admit(HttpConnection& c, const void* loop, HttpConnection*& evict_here);
  // Wait queues |c| (counted, owned by the calling loop) as waiting for a request, behind every
  // other connection of its kind (identified or not).
  void Wait(HttpConnection& c);
  // Busy takes |c| out of the waiting queues: it is being answered and cannot be evicted. It
  // returns false if |c| was evicted meanwhile (by another loop): the caller must close it.
  bool Busy(HttpConnection& c);
  // Release uncounts and unqueues |c|, before its loop closes it. Idempotent.
  void Release(HttpConnection& c);

  // TryLinger reserves one of max_lingering slots for a refused connection; false when all are
  // taken (close it instead). EndLinger returns the slot.
  bool TryLinger();
  void EndLinger() { lingering_.fetch_sub(1, std::memory_order_relaxed); }

  // Open returns the connections counted against the total cap (not those being evicted).
  std::size_t Open() const { return open_.load(std::memory_order_relaxed); }
  // Evicted returns how many waiting connections were closed to make room at the cap.
  std::uint64_t Evicted() const { return evicted_.load(std::memory_order_relaxed); }
  // Clear forgets every connection (for a server discarding all of them at once).
  void Clear();

 private:
  HttpConnection* TakeVictim();
  void Uncount(HttpConnection& c);
  void Discount(const HttpConnection& c);  // the counts only, not the connection's mark

  const ConnectionCapLimits limits_;
  std::mutex mu_;
  ConnectionQueue waiting_;             // counted kReading connections, longest waiting first
  ConnectionQueue waiting_identified_;  // the same, for connections of identified callers
  std::map<std::string, std::size_t, std::less<>> per_peer_;
  std::size_t evicting_ = 0;  // shut down by another loop, not yet released
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> lingering_{0};
  std::atomic<std::uint64_t> evicted_{0};
};

}  // namespace seedwell

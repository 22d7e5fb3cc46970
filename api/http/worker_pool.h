// WorkerPool: a fixed set of threads running tasks from a bounded queue. A full queue refuses new
// work at once (the caller answers 503) instead of queueing without bound.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace seedwell {

// WorkerPool starts |threads| threads that run submitted tasks in order. SIGPIPE is blocked in
// them. The destructor runs Shutdown().
class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Submit queues |task|; it returns false, without running it, when the queue is full or the
  // pool is shut down. Tasks must not throw.
  bool Submit(std::function<void()> task);
  // Shutdown runs the tasks already queued, then joins every thread. Idempotent.
  void Shutdown();

 private:
  void Work();

  std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// BlockSigpipe blocks SIGPIPE in the calling thread, so writes to closed sockets return EPIPE.
void BlockSigpipe();

}  // namespace seedwell

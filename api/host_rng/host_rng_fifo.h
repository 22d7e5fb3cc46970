// HostRngFifo: a host-wide entropy source at a path, for hypervisor stacks that can only give QEMU
// a file to read. Stock Nova configures virtio-rng with QEMU's rng-random backend on one host path
// (`[libvirt] rng_dev_path`); it cannot reach seedwell's per-instance EGD sockets. This writer
// keeps a named pipe (FIFO) at that path filled with DRBG output under one host-wide token bucket.
//
// Theory of operation. The FIFO is created with mkfifo (then the configured mode, set on the open
// descriptor), or reused when a FIFO owned by this user is already there, so QEMUs that hold it
// open keep reading across a restart of seedwell. It is opened O_RDWR | O_NONBLOCK: the writer is
// then also a reader, so there is always a writer while seedwell runs (a reader never sees end of
// file) and writes never raise SIGPIPE; the pipe's buffer is shrunk to one page, so at most that
// much output waits in the kernel. One thread loops: wait until the pipe has room, take a chunk
// from the bucket (or sleep until the bucket holds it), draw the chunk from the generator, write
// it (writes of at most PIPE_BUF bytes are atomic), count it, wipe it. Readers share the stream:
// whoever reads first gets the bytes. While the generator is failed closed nothing is written, so
// readers block rather than get unvouched output. Every second the path is checked: if it was
// removed it is created again (readers of the old FIFO see end of file once it is closed); if
// something else took its place, that is logged and left alone. The FIFO stays at the path when
// seedwell stops (see docs/libvirt.md, "Nova"). Everything written is bounded by the bucket:
// burst + rate x elapsed time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "api/host_rng/host_rng_options.h"
#include "crypto/clock.h"
#include "crypto/result.h"
#include "service/metrics.h"
#include "service/rate_limiter.h"

namespace seedwell {

// HostRngGenerate fills its argument with generator output, or fails (kUnavailable) while the
// generator is failed closed; EntropyService::Generate in production.
using HostRngGenerate = std::function<Result<void>(std::span<std::uint8_t>)>;

class HostRngFifo {
 public:
  // Start validates |options|, creates (or reuses) the FIFO and starts the writer thread.
  // kInvalidArgument for a bad mode or budget; kFailedPrecondition when the path exists and is
  // not a FIFO, or is a FIFO of another user; kUnavailable when it cannot be created or opened
  // (missing or read-only directory, no permission), each naming the path and the reason.
  // |generate| and |clock| must be thread-safe; |clock| and |bytes_written| (may be null) must
  // outlive the result.
  static Result<std::unique_ptr<HostRngFifo>> Start(const HostRngOptions& options,
                                                    HostRngGenerate generate, const Clock& clock,
                                                    Counter* bytes_written);
  ~HostRngFifo();
  HostRngFifo(const HostRngFifo&) = delete;
  HostRngFifo& operator=(const HostRngFifo&) = delete;

  // Stop ends the writer thread and closes the FIFO, leaving it at its path; idempotent.
  void Stop();

  // BytesWritten returns how many bytes have been written into the FIFO so far.
  std::uint64_t BytesWritten() const { return bytes_written_total_.load(); }
  // ChunkBytes returns the size of each write (at most the burst and PIPE_BUF).
  std::size_t ChunkBytes() const { return chunk_; }

 private:
  HostRngFifo(const HostRngOptions& options, unsigned mode, HostRngGenerate generate,
              const Clock& clock, Counter* bytes_written);
  Result<void> Open();  // creates or reuses the FIFO and opens it into fd_
  void CheckPath();     // recreates a removed FIFO (writer thread)
  void Run();           // the writer thread's loop
  bool WaitFor(std::chrono::milliseconds delay);  // false once stopping
  void WriteChunk();

  const HostRngOptions options_;
  const unsigned mode_;
  HostRngGenerate generate_;
  RateLimiter limiter_;
  Counter* bytes_written_;
  std::size_t chunk_ = 0;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool failed_closed_logged_ = false;
  bool path_problem_logged_ = false;
  std::chrono::steady_clock::time_point next_path_check_;
  std::atomic<std::uint64_t> bytes_written_total_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace seedwell

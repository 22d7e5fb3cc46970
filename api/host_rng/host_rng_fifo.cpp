#include "api/host_rng/host_rng_fifo.h"

#include <fcntl.h>
#include <limits.h>  // PIPE_BUF
#include <poll.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace seedwell {

namespace {

// kPathCheckPeriod is how often the writer checks that the FIFO is still at its path.
constexpr std::chrono::seconds kPathCheckPeriod{1};
// kPollSlice bounds every wait, so Stop and the path check are never late by more.
constexpr std::chrono::milliseconds kPollSlice{200};
// kFailedClosedRetry is how long the writer waits for the generator to recover.
constexpr std::chrono::milliseconds kFailedClosedRetry{500};
// kBucketKey is the one key of the writer's own rate limiter.
constexpr std::string_view kBucketKey = "host_rng";

std::string Errno() { return std::strerror(errno); }  // NOLINT(concurrency-mt-unsafe)

// ParseMode returns octal permissions text ("0660") as a number, at most 0777.
Result<unsigned> ParseMode(const std::string& text) {
  if (text.empty() || text.size() > 4 ||
      !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '7'; })) {
    return Fail(ErrorCode::kInvalidArgument, "--host-rng-mode must be octal, e.g. 0660");
  }
  unsigned mode = 0;
  for (const char ch : text) mode = mode * 8 + static_cast<unsigned>(ch - '0');
  if (mode > 0777) return Fail(ErrorCode::kInvalidArgument, "--host-rng-mode must be at most 0777");
  return mode;
}

// ChunkFor returns the size of each write: about an eighth of a second of the rate (at least
// 64 bytes), never more than the burst (or the bucket could never grant it) nor PIPE_BUF (so each
// write is atomic).
std::size_t ChunkFor(const HostRngOptions& o) {
  const std::uint64_t want = std::max<std::uint64_t>(64, o.rate_bytes_per_second / 8);
  return static_cast<std::size_t>(std::min<std::uint64_t>({want, o.burst_bytes, PIPE_BUF}));
}

}  // namespace

HostRngFifo::HostRngFifo(const HostRngOptions& options, unsigned mode, HostRngGenerate generate,
                         const Clock& clock, Counter* bytes_written)
    : options_(options),
      mode_(mode),
      generate_(std::move(generate)),
      limiter_(clock, BucketLimits{}),
      bytes_written_(bytes_written),
      chunk_(ChunkFor(options)) {}

HostRngFifo::~HostRngFifo() { Stop(); }

Result<std::unique_ptr<HostRngFifo>> HostRngFifo::Start(const HostRngOptions& options,
                                                        HostRngGenerate generate,
                                                        const Clock& clock,
                                                        Counter* bytes_written) {
  auto mode = ParseMode(options.mode);
  SEEDWELL_RETURN_IF_ERROR(mode);
  if (options.path.empty() || options.path.back() == '/') {
    return Fail(ErrorCode::kInvalidArgument, "--host-rng-fifo must name a file");
  }
  if (options.rate_bytes_per_second == 0 || options.burst_bytes == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "--host-rng-rate-bytes-per-second and --host-rng-burst-bytes must be > 0");
  }
  std::unique_ptr<HostRngFifo> fifo(
      new HostRngFifo(options, *mode, std::move(generate), clock, bytes_written));
  SEEDWELL_TRY(fifo->Open());
  fifo->next_path_check_ = std::chrono::steady_clock::now() + kPathCheckPeriod;
  fifo->thread_ = std::thread([raw = fifo.get()] { raw->Run(); });
  spdlog::info(
      "event=host_rng_fifo path={} mode={} rate_bytes_per_second={} burst_bytes={} chunk={}",
      options.path, options.mode, options.rate_bytes_per_second, options.burst_bytes, fifo->chunk_);
  return fifo;
}

Result<void> HostRngFifo::Open() {
  const std::string& path = options_.path;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISFIFO(st.st_mode)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "--host-rng-fifo " + path +
                      " exists and is not a FIFO; remove it or choose "
                      "another path");
    }
    if (st.st_uid != geteuid()) {
      return Fail(ErrorCode::kFailedPrecondition, "--host-rng-fifo " + path +
                                                      " is a FIFO of another user (uid " +
                                                      std::to_string(st.st_uid) + ")");
    }
  } else if (errno != ENOENT) {
    return Fail(ErrorCode::kUnavailable, "--host-rng-fifo " + path + ": " + Errno());
  } else if (mkfifo(path.c_str(), 0600) != 0) {  // owner-only until the mode is set below
    return Fail(ErrorCode::kUnavailable, "--host-rng-fifo " + path + ": cannot create: " + Errno());
  }
  // O_RDWR: never blocks on open, and keeps a writer (and a reader) on the pipe at all times.
  const int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);  // NOLINT
  if (fd < 0) {
    return Fail(ErrorCode::kUnavailable, "--host-rng-fifo " + path + ": cannot open: " + Errno());
  }
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid() ||
      fchmod(fd, mode_) != 0) {
    const std::string why = Errno();
    close(fd);
    return Fail(ErrorCode::kUnavailable,
                "--host-rng-fifo " + path + ": not our FIFO, or cannot set its mode: " + why);
  }
  // One page of buffer: at most that much output waits in the kernel for a reader. The kernel
  // may keep a larger buffer; the bucket bounds what is written either way.
  (void)fcntl(fd, F_SETPIPE_SZ, static_cast<int>(sysconf(_SC_PAGESIZE)));
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return {};
}

void HostRngFifo::CheckPath() {
  struct stat st {};
  const bool present = lstat(options_.path.c_str(), &st) == 0;
  if (present && st.st_dev == dev_ && st.st_ino == ino_) {
    path_problem_logged_ = false;
    return;
  }
  if (present) {  // something else is at the path now: leave it alone
    if (!path_problem_logged_) {
      spdlog::error(
          "event=host_rng_fifo_replaced path={} note=\"not touching what is there; "
          "remove it and seedwell creates the FIFO again\"",
          options_.path);
      path_problem_logged_ = true;
    }
    return;
  }
  // Removed: close the old one (its readers see end of file) and create it again.
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (auto opened = Open(); !opened) {
    if (!path_problem_logged_) {
      spdlog::error("event=host_rng_fifo_recreate_failed error=\"{}\"", opened.error().message);
      path_problem_logged_ = true;
    }
    return;
  }
  path_problem_logged_ = false;
  spdlog::warn(
      "event=host_rng_fifo_recreated path={} note=\"the FIFO was removed; readers of the "
      "old one must open it again\"",
      options_.path);
}

bool HostRngFifo::WaitFor(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
  return !stopping_;
}

void HostRngFifo::WriteChunk() {
  const Acquisition got =
      limiter_.Acquire(kBucketKey, chunk_, {options_.rate_bytes_per_second, options_.burst_bytes});
  if (!got.granted) {
    (void)WaitFor(std::min(got.retry_after, std::chrono::milliseconds(kPollSlice)));
    return;
  }
  std::array<std::uint8_t, PIPE_BUF> buf{};
  const std::span<std::uint8_t> out(buf.data(), chunk_);
  if (auto generated = generate_(out); !generated) {
    // Fail closed: nothing is written, readers wait. (The chunk's tokens are spent: harmless.)
    sodium_memzero(buf.data(), buf.size());
    if (!failed_closed_logged_) {
      spdlog::error("event=host_rng_fifo_paused reason=\"{}\"", generated.error().message);
      failed_closed_logged_ = true;
    }
    (void)WaitFor(kFailedClosedRetry);
    return;
  }
  if (failed_closed_logged_) {
    spdlog::info("event=host_rng_fifo_resumed");
    failed_closed_logged_ = false;
  }
  const ssize_t n = write(fd_, buf.data(), chunk_);
  sodium_memzero(buf.data(), buf.size());  // the bytes live on only in the pipe
  if (n > 0) {
    bytes_written_total_ += static_cast<std::uint64_t>(n);
    if (bytes_written_ != nullptr) bytes_written_->Increment(static_cast<double>(n));
  }
  // EAGAIN (a full pipe despite poll) drops the chunk: its tokens stay spent, never overspent.
}

void HostRngFifo::Run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (std::chrono::steady_clock::now() >= next_path_check_) {
      CheckPath();
      next_path_check_ = std::chrono::steady_clock::now() + kPathCheckPeriod;
    }
    if (fd_ < 0) {
      if (!WaitFor(kPollSlice)) return;
      continue;
    }
    pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
    const int ready = poll(&p, 1, static_cast<int>(kPollSlice.count()));
    if (ready <= 0) continue;          // full: a reader must take first
    if ((p.revents & POLLOUT) == 0) {  // an error state: never spin on it
      if (!WaitFor(kPollSlice)) return;
      continue;
    }
    WriteChunk();
  }
}

void HostRngFifo::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace seedwell

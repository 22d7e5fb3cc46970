#include "api/egd/egd_connection.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace seedwell {

namespace {
// kFillRetry is how long a blocking read waits when the DRBG refuses (failed closed).
constexpr std::chrono::milliseconds kFillRetry{100};
// kMaxTimerStep bounds one rate wait, so a revocation or shutdown is noticed promptly.
constexpr std::chrono::milliseconds kMaxTimerStep{1000};
}  // namespace

// Buffers holds the replies not yet written and the bytes of a blocking read drawn so far; both
// are entropy, wiped after use and on destruction.
struct EgdConnection::Buffers {
  std::array<std::uint8_t, kOutBytes> out{};
  std::array<std::uint8_t, kEgdMaxRead> partial{};
  Buffers() = default;
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;
  ~Buffers() {
    sodium_memzero(out.data(), out.size());
    sodium_memzero(partial.data(), partial.size());
  }
};

EgdConnection::EgdConnection(Socket socket, EgdShared& shared, std::string instance_id,
                             std::string peer, std::string listener,
                             std::function<void(EgdConnection*)> on_close)
    : socket_(std::move(socket)),
      shared_(shared),
      instance_id_(std::move(instance_id)),
      peer_(std::move(peer)),
      listener_(std::move(listener)),
      on_close_(std::move(on_close)),
      wait_timer_(socket_.get_executor()),
      deadline_timer_(socket_.get_executor()),
      ring_(static_cast<std::size_t>(shared.config.max_pending)),
      arrived_(ring_.size()) {}

EgdConnection::~EgdConnection() = default;

void EgdConnection::Start() {
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) return Close("io_error", "cannot set non-blocking: " + ec.message(), true);
  Pump();
}

void EgdConnection::Shutdown() {
  if (writing_) {
    closing_ = true;
  } else {
    Close("shutdown", "server shutting down", false);
  }
}

void EgdConnection::Close(const char* event, const std::string& why, bool warn) {
  if (closed_) return;
  closed_ = true;
  shared_.events.WithLabels({event}).Increment();
  const auto level = warn ? spdlog::level::warn : spdlog::level::debug;
  spdlog::log(
      level, "event=egd_close reason={} listener={} peer={} instance={} pending={} detail=\"{}\"",
      event, listener_, peer_, instance_id_.empty() ? "anonymous" : instance_id_, count_, why);
  asio::error_code ignored;
  socket_.close(ignored);
  wait_timer_.cancel();
  deadline_timer_.cancel();
  if (on_close_) std::exchange(on_close_, nullptr)(this);
}

void EgdConnection::StartRead() {
  reading_ = true;
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
    self->reading_ = false;
    if (self->closed_ || ec) return;
    self->OnReadable();
  });
}

void EgdConnection::OnReadable() {
  // Read no more bytes than there are free request slots: every request is at least one byte.
  std::array<std::uint8_t, 512> bytes;
  const std::size_t room = std::min(bytes.size(), ring_.size() - count_);
  asio::error_code ec;
  const std::size_t got = socket_.read_some(asio::buffer(bytes.data(), room), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return Pump();
  if (ec == asio::error::eof) {
    eof_ = true;
  } else if (ec) {
    return Close("io_error", ec.message(), false);
  }
  std::span<const std::uint8_t> in(bytes.data(), got);
  const std::size_t count_before = count_;
  const auto now = std::chrono::steady_clock::now();
  for (;;) {
    EgdRequest request;
    const auto status = parser_.Next(in, &request);
    if (status == EgdParser::Status::kNeedMore) break;
    if (status == EgdParser::Status::kUnknownCommand) {
      // The stream cannot be resynchronised: answer what came before, then close.
      shared_.requests.WithLabels({"unknown"}).Increment();
      broken_byte_ = in.front();
      eof_ = true;
      break;
    }
    shared_.requests.WithLabels({std::string(EgdCommandName(request.command))}).Increment();
    ring_[(head_ + count_) % ring_.size()] = request;
    arrived_[(head_ + count_) % ring_.size()] = now;
    ++count_;
  }
  // Activity restarts the idle clock, and a completed request the incomplete-request clock (a
  // client trickling one request byte by byte still meets the deadline).
  if (deadline_ == Deadline::kIdle || (deadline_ == Deadline::kRequest && count_ > count_before)) {
    deadline_ = Deadline::kNone;
  }
  Pump();
}

std::uint8_t* EgdConnection::OutTail() { return buffers_->out.data() + out_len_; }

Result<SharedInstance> EgdConnection::CurrentInstance() {
  if (instance_id_.empty()) return shared_.anonymous;
  auto instance = shared_.registry.GetShared(instance_id_);
  if (!instance) return instance;
  if ((*instance)->state != InstanceState::kActive) {
    return Fail(ErrorCode::kPermissionDenied, "instance is revoked");
  }
  return instance;
}

EgdConnection::Step EgdConnection::WaitThen(std::chrono::milliseconds delay) {
  const auto now = std::chrono::steady_clock::now();
  if (!waited_) {
    waited_ = true;
    shared_.events.WithLabels({"rate_wait"}).Increment();
  }
  if (now + delay - wait_started_ > std::chrono::milliseconds(shared_.config.max_wait_ms)) {
    Close("wait_timeout", "blocking read not served within --egd-max-wait-ms", true);
    return Step::kClosed;
  }
  waiting_ = true;
  wait_timer_.expires_after(std::clamp(delay, std::chrono::milliseconds(1), kMaxTimerStep));
  wait_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    self->waiting_ = false;
    if (!ec && !self->closed_) self->Pump();
  });
  return Step::kWait;
}

EgdConnection::Step EgdConnection::ServeBlockingRead(const Instance& instance, std::uint8_t n) {
  if (filled_ == 0 && !waited_) wait_started_ = std::chrono::steady_clock::now();
  const std::uint64_t burst =
      std::max<std::uint64_t>(1, shared_.dispenser.LimitsFor(instance).burst_bytes);
  while (filled_ < n) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n - filled_, burst));
    const Acquisition acquired = shared_.dispenser.Reserve(instance, chunk);
    if (!acquired.granted) {
      if (!waited_)
        shared_.dispenser.RecordRefusal(UsageTransport::kEgd);  // once per request held back
      return WaitThen(acquired.retry_after);
    }
    auto filled = shared_.dispenser.Fill(
        instance, std::span<std::uint8_t>(buffers_->partial.data() + filled_, chunk),
        UsageTransport::kEgd);
    if (!filled) return WaitThen(kFillRetry);
    filled_ += chunk;
  }
  std::copy_n(buffers_->partial.data(), n, OutTail());
  sodium_memzero(buffers_->partial.data(), n);
  out_len_ += n;
  filled_ = 0;
  waited_ = false;
  return Step::kDone;
}

EgdConnection::Step EgdConnection::Serve(const EgdRequest& request) {
  switch (request.command) {
    case EgdCommand::kGetPid: {
      std::array<std::uint8_t, kEgdPidReplyMax> reply{};
      const std::size_t len = EncodePidReply(static_cast<std::uint32_t>(getpid()), reply);
      std::copy_n(reply.data(), len, OutTail());
      out_len_ += len;
      return Step::kDone;
    }
    case EgdCommand::kWriteEntropy:
      // Accepted and ignored: a guest's bytes are never mixed into what other guests receive.
      shared_.events.WithLabels({"write_entropy_ignored"}).Increment();
      return Step::kDone;
    default:
      break;
  }
  auto instance = CurrentInstance();
  if (!instance) {
    const bool revoked = instance.error().code == ErrorCode::kPermissionDenied ||
                         instance.error().code == ErrorCode::kNotFound;
    Close(revoked ? "revoked" : "unavailable", instance.error().message, true);
    return Step::kClosed;
  }
  switch (request.command) {
    case EgdCommand::kEntropyAvailable: {
      // What one caller could draw right now at most: its burst (0 while failed closed).
      const std::uint64_t burst = shared_.dispenser.LimitsFor(**instance).burst_bytes;
      const auto bits =
          shared_.entropy.Ready()
              ? static_cast<std::uint32_t>(std::min<std::uint64_t>(burst * 8, 1u << 31))
              : 0u;
      EncodeEntropyAvailable(bits, std::span<std::uint8_t, 4>(OutTail(), 4));
      out_len_ += 4;
      return Step::kDone;
    }
    case EgdCommand::kReadNonBlocking: {
      const std::uint8_t n = request.count;
      std::uint8_t* tail = OutTail();
      tail[0] = 0;
      if (n > 0) {
        if (!shared_.dispenser.Reserve(**instance, n).granted) {
          shared_.dispenser.RecordRefusal(UsageTransport::kEgd);
        } else if (shared_.dispenser.Fill(**instance, std::span<std::uint8_t>(tail + 1, n),
                                          UsageTransport::kEgd)) {
          tail[0] = n;
        }
      }
      out_len_ += 1 + tail[0];
      return Step::kDone;
    }
    case EgdCommand::kReadBlocking:
      return ServeBlockingRead(**instance, request.count);
    default:
      return Step::kDone;
  }
}

void EgdConnection::Pump() {
  if (closed_) return;
  while (!writing_ && !waiting_ && count_ > 0) {
    if (!buffers_) buffers_ = std::make_unique<Buffers>();
    if (out_len_ + 1 + kEgdMaxRead > kOutBytes) break;  // write what we have first
    const Step step = Serve(ring_[head_]);
    if (step == Step::kClosed) return;
    if (step == Step::kWait) break;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - arrived_[head_];
    shared_.latency.WithLabels({std::string(EgdCommandName(ring_[head_].command))})
        .Observe(took.count());
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  if (!writing_ && out_len_ > 0) StartWrite();
  if (eof_ && count_ == 0 && !writing_) {
    if (broken_byte_ >= 0) {
      return Close("unknown_command", "command byte " + std::to_string(broken_byte_), true);
    }
    return Close("peer_closed", "client closed", false);
  }
  if (!reading_ && !eof_ && !shared_.stopping && count_ < ring_.size()) StartRead();
  ArmDeadline();
}

void EgdConnection::StartWrite() {
  writing_ = true;
  asio::async_write(socket_, asio::buffer(buffers_->out.data(), out_len_),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      self->deadline_ = Deadline::kNone;  // progress: a new write gets a new clock
                      sodium_memzero(self->buffers_->out.data(), self->out_len_);
                      self->out_len_ = 0;
                      if (self->closed_) return;
                      if (ec) return self->Close("io_error", "write: " + ec.message(), false);
                      if (self->closing_)
                        return self->Close("shutdown", "server shutting down", false);
                      self->Pump();
                    });
}

void EgdConnection::ArmDeadline() {
  const auto& c = shared_.config;
  Deadline want = Deadline::kNone;
  int ms = 0;
  if (writing_) {
    want = Deadline::kWrite, ms = c.write_timeout_ms;
  } else if (parser_.InsideRequest()) {
    want = Deadline::kRequest, ms = c.request_timeout_ms;
  } else if (count_ == 0 && !waiting_ && c.idle_timeout_ms > 0) {
    want = Deadline::kIdle, ms = c.idle_timeout_ms;
  }
  if (want == deadline_) return;  // the running deadline still applies; do not extend it
  deadline_ = want;
  const std::uint64_t generation = ++deadline_generation_;
  if (want == Deadline::kNone) {
    deadline_timer_.cancel();
    return;
  }
  deadline_timer_.expires_after(std::chrono::milliseconds(ms));
  deadline_timer_.async_wait([self = shared_from_this(), generation](const asio::error_code& ec) {
    if (ec || self->closed_ || generation != self->deadline_generation_) return;
    switch (self->deadline_) {
      case Deadline::kWrite:
        return self->Close("write_timeout", "client does not read its replies", true);
      case Deadline::kRequest:
        return self->Close("request_timeout", "request left incomplete", true);
      case Deadline::kIdle:
        return self->Close("idle_timeout", "no request", false);
      case Deadline::kNone:
        return;
    }
  });
}

}  // namespace seedwell

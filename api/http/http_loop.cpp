#include "api/http/http_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "api/http/http_server.h"

namespace seedwell {

namespace {

using std::chrono::steady_clock;

// Accepts per wake-up: between batches the loop reads what accepted connections sent, so a flood
// of new connections cannot evict a newcomer before its request is read.
constexpr int kMaxAcceptsPerWake = 64;
constexpr std::chrono::milliseconds kTick{20};
constexpr std::chrono::milliseconds kAcceptPause{100};

}  // namespace

HttpLoop::HttpLoop(HttpServer& server, std::size_t index) : server_(server), index_(index) {}

HttpLoop::~HttpLoop() {
  connections_.clear();
  for (const int fd : {epoll_fd_, wake_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Result<void> HttpLoop::Open(int listen_fd) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  listen_fd_ = listen_fd;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0 ||
      !WatchListener(true)) {
    return Fail(ErrorCode::kUnavailable,
                std::string("cannot set up an event loop: ") + std::strerror(errno));
  }
  return {};
}

bool HttpLoop::WatchListener(bool watch) {
  if (watch == listener_watched_ || listen_fd_ < 0) return true;
  // EPOLLEXCLUSIVE cannot be modified, only added and deleted.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listen_fd_;
  if (::epoll_ctl(epoll_fd_, watch ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd_, &ev) != 0) {
    return false;
  }
  listener_watched_ = watch;
  return true;
}

void HttpLoop::Wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void HttpLoop::Run() {
  std::array<epoll_event, 256> events{};
  while (true) {
    const timespec wait = WaitTime();
    const int n =
        ::epoll_pwait2(epoll_fd_, events.data(), static_cast<int>(events.size()), &wait, nullptr);
    const TimePoint now = steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == listen_fd_) {
        AcceptAll(now);
      } else if (fd == wake_fd_) {
        std::uint64_t value = 0;
        [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &value, sizeof(value));
      } else if (auto it = connections_.find(fd); it != connections_.end()) {
        OnEvent(*it->second, now);
      }
    }
    if (server_.stop_requested_ && !stopping_) BeginStopping(now);
    if (FinishDue(now)) FinishDeferred(now);
    DrainReturned(now);
    if (now >= next_sweep_ || stopping_) {  // deadlines are checked once a tick, not per event
      next_sweep_ = now + kTick;
      Sweep(now);
    }
    if (stopping_) {
      const bool busy = std::any_of(connections_.begin(), connections_.end(), [](const auto& kv) {
        return kv.second->state() != HttpConnection::State::kLingering;
      });
      if (!busy || now >= stop_deadline_) break;
    }
  }
  // Out of grace: cut the sockets of requests still in a handler (their one send fails fast);
  // the server waits for the workers before Discard.
  for (auto& [fd, c] : connections_) {
    if (c->state() == HttpConnection::State::kDispatched) ::shutdown(fd, SHUT_RDWR);
  }
}

timespec HttpLoop::WaitTime() const {
  std::chrono::nanoseconds wait = kTick;
  if (!deferred_.empty()) {
    wait = std::clamp<std::chrono::nanoseconds>(
        last_finish_ + server_.options_.finish_window - steady_clock::now(),
        std::chrono::nanoseconds(0), wait);
  }
  return timespec{.tv_sec = 0, .tv_nsec = static_cast<long>(wait.count())};
}

bool HttpLoop::FinishDue(TimePoint now) const {
  if (deferred_.empty()) return false;
  return stopping_ || deferred_.size() >= server_.options_.finish_batch ||
         now >= last_finish_ + server_.options_.finish_window;
}

void HttpLoop::BeginStopping(TimePoint now) {
  stopping_ = true;
  stop_deadline_ = now + server_.options_.stop_grace;
  WatchListener(false);
  // Every loop shares the listener and the server closes it once all loops returned; shutting it
  // down now refuses new connections at once (idempotent: the first loop to stop does it).
  ::shutdown(listen_fd_, SHUT_RDWR);
  listen_fd_ = -1;
}

void HttpLoop::AcceptAll(TimePoint now) {
  for (int accepted = 0; accepted < kMaxAcceptsPerWake; ++accepted) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: the pending connection stays queued, and level-triggered
        // epoll would report it again at once, so stop watching the listener for a moment
        // instead of spinning.
        spdlog::warn("http: accept failed ({}); pausing accepts", std::strerror(errno));
        WatchListener(false);
        accept_paused_until_ = now + kAcceptPause;
      }
      return;
    }
    auto c = HttpConnection::Accept(fd, addr, server_.tls_.get(), server_.limits_, now);
    if (!c) continue;
    c->set_owner(this);
    HttpConnection& ref = *c;
    connections_[fd] = std::move(c);
    // Not in epoll yet: a connection is added only once it has to wait (for its request, for
    // the socket to take a response, or between keep-alive requests). A request read at once
    // below and answered with Connection: close never costs an epoll_ctl, nor its removal.
    // At the total cap a newcomer takes the slot of the connection that has waited longest for a
    // request (connection_caps.h); it is refused only when every slot is busy or its address is
    // at its own cap.
    HttpConnection* evict_here = nullptr;
    if (!server_.caps_.Admit(ref, this, evict_here)) {
      if (server_.tls_) {
        Close(ref);  // a refusal is not worth a TLS handshake
      } else {
        Reject(ref, {HttpError{503, "unavailable", "too many connections"}, ""});
      }
      continue;
    }
    if (evict_here != nullptr) Close(*evict_here);
    // An HTTP client sends its request as soon as it is connected, usually before the accept:
    // read it now rather than after another epoll_wait, so it joins this iteration's batch.
    OnReadable(ref, now);
  }
}

void HttpLoop::OnEvent(HttpConnection& c, TimePoint now) {
  if (c.evicted()) {  // another loop took its slot and shut its socket down
    Close(c);
  } else if (c.state() == HttpConnection::State::kWriting) {
    OnWritable(c, now);
  } else {
    OnReadable(c, now);
  }
}

void HttpLoop::OnReadable(HttpConnection& c, TimePoint now) {
  const HttpNext next =
      c.OnReadable(now, [this](const RequestHead& head) { return server_.routes_.Check(head); });
  switch (next.action) {
    case HttpNext::Action::kWait:
      SetInterest(c, EPOLLIN);
      return;
    case HttpNext::Action::kDispatch:
      if (!server_.caps_.Busy(c)) {  // evicted by another loop while its request arrived
        Close(c);
      } else if (!AnswerOnLoop(c, now)) {
        Dispatch(c);
      }
      return;
    case HttpNext::Action::kRefuse:
      Reject(c, next.refusal);
      return;
    case HttpNext::Action::kClose:
      Close(c);
      return;
  }
}

void HttpLoop::Dispatch(HttpConnection& c) {
  c.BeginDispatch();
  if (c.watched() != HttpConnection::kNotWatched) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
    c.set_watched(HttpConnection::kNotWatched);
  }
  HttpConnection* ptr = &c;
  const bool queued = server_.pool_->Submit([this, ptr] {
    server_.Serve(*ptr);
    {
      std::lock_guard lock(returned_mu_);
      returned_.push_back(ptr);
    }
    Wake();
  });
  if (!queued) {
    c.CancelDispatch();
    SetInterest(c, EPOLLIN);
    Reject(c, {HttpError{503, "unavailable", "server busy"}, ""});
  }
}

void HttpLoop::DrainReturned(TimePoint now) {
  {
    std::lock_guard lock(returned_mu_);
    if (returned_.empty()) return;
    draining_.swap(returned_);
  }
  for (HttpConnection* c : draining_) {
    if (c->HasPendingOutput()) {  // the socket did not take the whole response: finish it here
      c->BeginWriting(now);
      SetInterest(*c, c->WantsReadToWrite() ? EPOLLIN : EPOLLOUT);
      continue;
    }
    FinishResponse(*c, now);
  }
  draining_.clear();
}

void HttpLoop::OnWritable(HttpConnection& c, TimePoint now) {
  switch (c.OnWritable()) {
    case HttpConnection::WriteResult::kFailed:
      Close(c);
      return;
    case HttpConnection::WriteResult::kPending:
      SetInterest(c, c.WantsReadToWrite() ? EPOLLIN : EPOLLOUT);
      return;
    case HttpConnection::WriteResult::kDone:
      FinishResponse(c, now);
      return;
  }
}

void HttpLoop::FinishResponse(HttpConnection& c, TimePoint now) {
  if (!c.StartNextRequest(now, stopping_)) {
    Close(c);
    return;
  }
  server_.caps_.Wait(c);
  SetInterest(c, EPOLLIN);
  if (c.MayHoldInput()) OnReadable(c, now);  // a pipelined request, or decrypted TLS bytes
}

bool HttpLoop::SetInterest(HttpConnection& c, unsigned events) {
  if (c.watched() == events) return true;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c.fd();
  const int op = c.watched() == HttpConnection::kNotWatched ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (::epoll_ctl(epoll_fd_, op, c.fd(), &ev) != 0) return false;
  c.set_watched(events);
  return true;
}

void HttpLoop::Sweep(TimePoint now) {
  if (accept_paused_until_ != TimePoint{} && now >= accept_paused_until_) {
    accept_paused_until_ = TimePoint{};
    WatchListener(true);
  }
  std::vector<std::pair<HttpConnection*, HttpConnection::Expiry>> expired;
  for (auto& [fd, c] : connections_) {
    const HttpConnection::Expiry expiry =
        c->evicted() ? HttpConnection::Expiry::kClose : c->CheckDeadline(now, stopping_);
    if (expiry != HttpConnection::Expiry::kNone) expired.emplace_back(c.get(), expiry);
  }
  for (const auto& [c, expiry] : expired) {
    if (expiry == HttpConnection::Expiry::kRequestTimeout) {
      Reject(*c, {HttpError{408, "request_timeout", "request not received in time"}, ""});
    } else {
      Close(*c);
    }
  }
}

void HttpLoop::Reject(HttpConnection& c, const HttpRefusal& refusal) {
  const TimePoint now = steady_clock::now();
  c.WriteRefusal(refusal);
  const auto& head = c.head();
  server_.Notify(head ? HttpServer::kUnmatched : "", head ? head->method : "", refusal.error.status,
                 c.started() == TimePoint{} ? now : c.started(), c.peer_ip());
  server_.caps_.Release(c);
  if (!server_.caps_.TryLinger()) {
    Close(c);
    return;
  }
  c.StartLinger(now);
  SetInterest(c, EPOLLIN);  // lingering reads what the peer still sends until it closes
}

void HttpLoop::Close(HttpConnection& c) {
  server_.caps_.Release(c);  // before the socket closes: see connection_caps.h
  if (c.state() == HttpConnection::State::kLingering) server_.caps_.EndLinger();
  // Closing the socket (its only descriptor) also removes it from the epoll set: no EPOLL_CTL_DEL.
  connections_.erase(c.fd());  // destroys the connection, which closes the socket
}

}  // namespace seedwell

#include "api/http/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "api/http/json_error.h"

namespace seedwell {

namespace {

using std::chrono::steady_clock;

constexpr int kBacklog = 4096;
// Accepts per wake-up: between batches the loop reads what accepted connections sent, so a flood
// of new connections cannot evict a newcomer before its request is read.
constexpr int kMaxAcceptsPerWake = 64;
// Descriptors a server holds besides its connections: the listener, epoll, the eventfd, and one
// accepted socket being refused.
constexpr std::size_t kOwnDescriptors = 4;
constexpr std::chrono::milliseconds kTick{20};
constexpr std::chrono::milliseconds kAcceptPause{100};
const char* const kUnmatched = "(unmatched)";

std::string CodeForStatus(int status) {
  switch (status) {
    case 400:
      return "invalid_argument";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 500:
      return "internal";
    default:
      return "http_" + std::to_string(status);
  }
}

}  // namespace

thread_local std::string HttpServer::t_route_;
thread_local bool HttpServer::t_identified_ = false;

std::size_t HttpServer::DescriptorsNeeded(const HttpServerOptions& options) {
  return options.max_connections + options.max_lingering + kOwnDescriptors;
}

void HttpServer::MarkCallerIdentified() { t_identified_ = true; }

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {
  limits_ = HttpConnectionLimits{
      HeadLimits{options_.max_header_bytes, options_.max_headers, options_.max_header_line_bytes},
      options_.request_deadline, options_.idle_timeout, options_.max_requests_per_connection,
      "timeout=" +
          std::to_string(std::max<long long>(
              1, std::chrono::ceil<std::chrono::seconds>(options_.idle_timeout).count())) +
          ", max=" + std::to_string(options_.max_requests_per_connection)};
  set_keep_alive_max_count(options_.max_requests_per_connection);
  set_keep_alive_timeout(
      std::max<time_t>(1, std::chrono::ceil<std::chrono::seconds>(options_.idle_timeout).count()));
  set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, const std::exception_ptr&) {
        spdlog::error("http: handler for {} {} threw; answered 500", req.method, t_route_);
        WriteHttpError(res, HttpError{500, "internal", "internal error"});
      });
  set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      WriteHttpError(res, HttpError{res.status, CodeForStatus(res.status),
                                    std::string(HttpReason(res.status))});
    }
  });
}

HttpServer::~HttpServer() {
  if (pool_) pool_->Shutdown();
  connections_.clear();
  for (const int fd : {listen_fd_, epoll_fd_, wake_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

HttpServer::Handler HttpServer::Wrap(const std::string& pattern, Handler handler) {
  return
      [pattern, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        t_route_ = pattern;
        handler(req, res);
      };
}

void HttpServer::AddBodyRoute(const std::string& method, const std::string& pattern,
                              std::size_t limit) {
  const std::size_t bytes = limit == 0 ? options_.max_body_bytes : limit;
  routes_.Allow(method, pattern, bytes);
  set_payload_max_length(std::max(payload_max_length_ == CPPHTTPLIB_PAYLOAD_MAX_LENGTH
                                      ? options_.max_body_bytes
                                      : payload_max_length_,
                                  bytes));
}

void HttpServer::Get(const std::string& pattern, Handler handler) {
  routes_.Allow("GET", pattern, 0);
  httplib::Server::Get(pattern, Wrap(pattern, std::move(handler)));
}

void HttpServer::Post(const std::string& pattern, Handler handler, std::size_t max_body_bytes) {
  AddBodyRoute("POST", pattern, max_body_bytes);
  httplib::Server::Post(pattern, Wrap(pattern, std::move(handler)));
}

void HttpServer::Put(const std::string& pattern, Handler handler, std::size_t max_body_bytes) {
  AddBodyRoute("PUT", pattern, max_body_bytes);
  httplib::Server::Put(pattern, Wrap(pattern, std::move(handler)));
}

void HttpServer::Patch(const std::string& pattern, Handler handler, std::size_t max_body_bytes) {
  AddBodyRoute("PATCH", pattern, max_body_bytes);
  httplib::Server::Patch(pattern, Wrap(pattern, std::move(handler)));
}

void HttpServer::Delete(const std::string& pattern, Handler handler, std::size_t max_body_bytes) {
  AddBodyRoute("DELETE", pattern, max_body_bytes);
  httplib::Server::Delete(pattern, Wrap(pattern, std::move(handler)));
}

void HttpServer::AllowHead(const std::string& pattern) { routes_.AllowHead(pattern); }

void HttpServer::SetRequestObserver(std::function<void(const RequestRecord&)> observer) {
  observer_ = std::move(observer);
}

Result<int> HttpServer::Listen(const std::string& host, int port) {
  if (listen_fd_ >= 0) return Fail(ErrorCode::kFailedPrecondition, "already listening");
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    auto tls = TlsContext::Load(options_.tls_cert_file, options_.tls_key_file);
    SEEDWELL_RETURN_IF_ERROR(tls);
    tls_ = *tls;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "cannot parse listen address " + host);
  }
  const int fd = ::socket(result->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  // TCP_NODELAY on the listener is inherited by every accepted socket: one system call per
  // listener instead of one per connection.
  const bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
                  ::bind(fd, result->ai_addr, result->ai_addrlen) == 0 &&
                  ::listen(fd, kBacklog) == 0;
  ::freeaddrinfo(result);
  if (!ok) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return Fail(ErrorCode::kUnavailable, "cannot listen on " + host + ": " + reason);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  std::string ip;
  SocketAddressText(bound, ip, bound_port_);
  listen_fd_ = fd;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0 || !Watch(listen_fd_, EPOLLIN, true) ||
      !Watch(wake_fd_, EPOLLIN, true)) {
    return Fail(ErrorCode::kUnavailable, "cannot set up epoll");
  }
  return bound_port_;
}

bool HttpServer::Watch(int fd, unsigned events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  return ::epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0;
}

void HttpServer::Stop() {
  stop_requested_ = true;
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

void HttpServer::Run() {
  if (listen_fd_ < 0 || pool_) return;
  BlockSigpipe();
  pool_ = std::make_unique<WorkerPool>(options_.worker_threads, options_.max_connections);
  std::array<epoll_event, 256> events{};
  while (true) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kTick.count()));
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
    FinishDeferred(now);
    DrainReturned(now);
    if (stop_requested_ && !stopping_) {
      stopping_ = true;
      stop_deadline_ = now + options_.stop_grace;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
      ::close(listen_fd_);
      listen_fd_ = -1;
    }
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
  // Out of grace: cut the sockets of requests still in a handler (their one send fails fast),
  // wait for the workers, then close everything.
  for (auto& [fd, c] : connections_) {
    if (c->state() == HttpConnection::State::kDispatched) ::shutdown(fd, SHUT_RDWR);
  }
  pool_->Shutdown();
  {
    std::lock_guard lock(returned_mu_);
    returned_.clear();
  }
  waiting_.Clear();
  waiting_identified_.Clear();
  connections_.clear();
  per_peer_.clear();
  open_connections_ = 0;
  lingering_ = 0;
}

void HttpServer::AcceptAll(TimePoint now) {
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
        Watch(listen_fd_, 0, false);
        accept_paused_until_ = now + kAcceptPause;
      }
      return;
    }
    auto c = HttpConnection::Accept(fd, addr, tls_.get(), limits_, now);
    if (!c) continue;
    HttpConnection& ref = *c;
    connections_[fd] = std::move(c);
    // Not in epoll yet: a connection is added only once it has to wait (for its request, for
    // the socket to take a response, or between keep-alive requests). A request read at once
    // below and answered with Connection: close never costs an epoll_ctl, nor its removal.
    const auto peer = per_peer_.find(ref.peer_ip());
    const bool peer_full =
        peer != per_peer_.end() && peer->second >= options_.max_connections_per_peer;
    // At the total cap a newcomer takes the slot of the connection that has waited longest for a
    // request (see EvictOne); it is refused only when every slot is busy or its address is at
    // its own cap.
    if (peer_full || (open_connections_ >= options_.max_connections && !EvictOne())) {
      if (tls_) {
        Close(ref);  // a refusal is not worth a TLS handshake
      } else {
        Reject(ref, {HttpError{503, "unavailable", "too many connections"}, ""});
      }
      continue;
    }
    ++per_peer_[ref.peer_ip()];
    ++open_connections_;
    ref.set_counted(true);
    waiting_.Push(ref);
    // An HTTP client sends its request as soon as it is connected, usually before the accept:
    // read it now rather than after another epoll_wait, so it joins this iteration's batch.
    OnReadable(ref, now);
  }
}

bool HttpServer::EvictOne() {
  HttpConnection* victim = waiting_.Front();
  if (victim == nullptr) victim = waiting_identified_.Front();
  if (victim == nullptr) return false;
  ++evicted_;
  Close(*victim);
  return true;
}

void HttpServer::OnEvent(HttpConnection& c, TimePoint now) {
  if (c.state() == HttpConnection::State::kWriting) {
    OnWritable(c, now);
  } else {
    OnReadable(c, now);
  }
}

void HttpServer::OnReadable(HttpConnection& c, TimePoint now) {
  const HttpNext next =
      c.OnReadable(now, [this](const RequestHead& head) { return routes_.Check(head); });
  switch (next.action) {
    case HttpNext::Action::kWait:
      SetInterest(c, EPOLLIN);
      return;
    case HttpNext::Action::kDispatch:
      if (!AnswerOnLoop(c, now)) Dispatch(c);
      return;
    case HttpNext::Action::kRefuse:
      Reject(c, next.refusal);
      return;
    case HttpNext::Action::kClose:
      Close(c);
      return;
  }
}

void HttpServer::Dispatch(HttpConnection& c) {
  c.BeginDispatch();
  Unqueue(c);
  if (c.watched() != HttpConnection::kNotWatched) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
    c.set_watched(HttpConnection::kNotWatched);
  }
  HttpConnection* ptr = &c;
  const bool queued = pool_->Submit([this, ptr] {
    Serve(*ptr);
    {
      std::lock_guard lock(returned_mu_);
      returned_.push_back(ptr);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  });
  if (!queued) {
    c.CancelDispatch();
    SetInterest(c, EPOLLIN);
    Reject(c, {HttpError{503, "unavailable", "server busy"}, ""});
  }
}

void HttpServer::Serve(HttpConnection& c) {
  t_route_ = kUnmatched;
  t_identified_ = false;
  const int status = c.Serve(
      [this](httplib::Stream& stream, bool close, bool& connection_closed) {
        return process_request(stream, close, connection_closed, nullptr);
      },
      stop_requested_);
  if (t_identified_) c.set_identified(true);
  Notify(t_route_, c.head()->method, status, c.started(), c.peer_ip());
}

void HttpServer::DrainReturned(TimePoint now) {
  std::vector<HttpConnection*> done;
  {
    std::lock_guard lock(returned_mu_);
    done.swap(returned_);
  }
  for (HttpConnection* c : done) {
    if (c->HasPendingOutput()) {  // the socket did not take the whole response: finish it here
      c->BeginWriting(now);
      SetInterest(*c, c->WantsReadToWrite() ? EPOLLIN : EPOLLOUT);
      continue;
    }
    FinishResponse(*c, now);
  }
}

void HttpServer::OnWritable(HttpConnection& c, TimePoint now) {
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

void HttpServer::FinishResponse(HttpConnection& c, TimePoint now) {
  if (!c.StartNextRequest(now, stopping_)) {
    Close(c);
    return;
  }
  (c.identified() ? waiting_identified_ : waiting_).Push(c);
  SetInterest(c, EPOLLIN);
  if (c.MayHoldInput()) OnReadable(c, now);  // a pipelined request, or decrypted TLS bytes
}

void HttpServer::Unqueue(HttpConnection& c) {
  waiting_.Remove(c);
  waiting_identified_.Remove(c);
}

bool HttpServer::SetInterest(HttpConnection& c, unsigned events) {
  if (c.watched() == events) return true;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c.fd();
  const int op = c.watched() == HttpConnection::kNotWatched ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (::epoll_ctl(epoll_fd_, op, c.fd(), &ev) != 0) return false;
  c.set_watched(events);
  return true;
}

void HttpServer::Sweep(TimePoint now) {
  if (listen_fd_ >= 0 && accept_paused_until_ != TimePoint{} && now >= accept_paused_until_) {
    accept_paused_until_ = TimePoint{};
    Watch(listen_fd_, EPOLLIN, false);
  }
  std::vector<std::pair<HttpConnection*, HttpConnection::Expiry>> expired;
  for (auto& [fd, c] : connections_) {
    const HttpConnection::Expiry expiry = c->CheckDeadline(now, stopping_);
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

void HttpServer::Reject(HttpConnection& c, const HttpRefusal& refusal) {
  const TimePoint now = steady_clock::now();
  c.WriteRefusal(refusal);
  const auto& head = c.head();
  Notify(head ? kUnmatched : "", head ? head->method : "", refusal.error.status,
         c.started() == TimePoint{} ? now : c.started(), c.peer_ip());
  Unqueue(c);
  if (lingering_ >= options_.max_lingering) {
    Close(c);
    return;
  }
  Uncount(c);
  c.StartLinger(now);
  ++lingering_;
  SetInterest(c, EPOLLIN);  // lingering reads what the peer still sends until it closes
}

void HttpServer::Uncount(HttpConnection& c) {
  if (!c.counted()) return;
  c.set_counted(false);
  --open_connections_;
  if (--per_peer_[c.peer_ip()] == 0) per_peer_.erase(c.peer_ip());
}

void HttpServer::Close(HttpConnection& c) {
  Unqueue(c);
  Uncount(c);
  if (c.state() == HttpConnection::State::kLingering) --lingering_;
  // Closing the socket (its only descriptor) also removes it from the epoll set: no EPOLL_CTL_DEL.
  connections_.erase(c.fd());  // destroys the connection, which closes the socket
}

void HttpServer::Notify(const std::string& route, const std::string& method, int status,
                        TimePoint started, const std::string& peer) {
  if (!observer_) return;
  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - started);
  observer_(RequestRecord{route.empty() ? kUnmatched : route, method, status, latency, peer});
}

}  // namespace seedwell

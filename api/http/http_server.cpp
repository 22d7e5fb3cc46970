#include "api/http/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "api/http/json_error.h"

namespace seedwell {

namespace {

using std::chrono::steady_clock;

constexpr int kBacklog = 4096;
// Descriptors a loop holds besides its connections: epoll, the eventfd, and one accepted socket
// being refused.
constexpr std::size_t kLoopDescriptors = 3;
// The most event loops a server runs (one per core is the point; more only adds contention).
constexpr std::size_t kMaxEventLoops = 64;

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
  const std::size_t loops = std::clamp<std::size_t>(options.event_loops, 1, kMaxEventLoops);
  const std::size_t evicting = loops > 1 ? ConnectionCaps::kMaxEvicting : 0;  // across loops
  return options.max_connections + options.max_lingering + evicting + 1 /* the listener */ +
         loops * kLoopDescriptors;
}

void HttpServer::MarkCallerIdentified() { t_identified_ = true; }

HttpServer::HttpServer(HttpServerOptions options)
    : options_(std::move(options)),
      caps_(ConnectionCapLimits{options_.max_connections, options_.max_connections_per_peer,
                                options_.max_lingering}) {
  options_.event_loops = std::clamp<std::size_t>(options_.event_loops, 1, kMaxEventLoops);
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
  caps_.Clear();
  loops_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
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

void HttpServer::ServeOnLoop(const std::string& pattern, LoopHandler handler) {
  const std::size_t index = routes_.IndexOf(pattern);
  if (loop_handlers_.size() <= index) loop_handlers_.resize(index + 1);
  loop_handlers_[index] = std::move(handler);
}

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
  for (std::size_t i = 0; i < options_.event_loops; ++i) {
    loops_.push_back(std::make_unique<HttpLoop>(*this, i));
    if (auto opened = loops_.back()->Open(fd); !opened) {
      loops_.clear();
      ::close(fd);
      return tl::unexpected(opened.error());
    }
  }
  listen_fd_ = fd;
  return bound_port_;
}

void HttpServer::Stop() {
  stop_requested_ = true;
  for (const auto& loop : loops_) loop->Wake();
}

void HttpServer::Run() {
  if (listen_fd_ < 0 || pool_) return;
  BlockSigpipe();  // the loop threads inherit the mask
  pool_ = std::make_unique<WorkerPool>(options_.worker_threads, options_.max_connections);
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    others.emplace_back([loop = loops_[i].get()] { loop->Run(); });
  }
  loops_.front()->Run();
  for (std::thread& t : others) t.join();
  pool_->Shutdown();  // the loops cut the sockets of requests still on a worker
  caps_.Clear();
  for (const auto& loop : loops_) loop->Discard();
  ::close(listen_fd_);
  listen_fd_ = -1;
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

void HttpServer::Notify(const std::string& route, const std::string& method, int status,
                        TimePoint started, const std::string& peer) {
  if (!observer_) return;
  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - started);
  observer_(RequestRecord{route.empty() ? kUnmatched : route, method, status, latency, peer});
}

}  // namespace seedwell

#include "api/egd/egd_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <utility>

namespace seedwell {

namespace {

// kAnonymousId is the pseudo-instance id of anonymous TCP callers (usage is not recorded).
constexpr char kAnonymousId[] = "egd-anonymous";

// PeerAddress renders the IP address of a TCP peer endpoint.
std::string PeerAddress(const asio::generic::stream_protocol::endpoint& ep) {
  char text[INET6_ADDRSTRLEN] = {};
  const auto* sa = ep.data();
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof(text));
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    }
  }
  return text;
}

}  // namespace

struct EgdServer::Listener {
  explicit Listener(asio::io_context& io) : acceptor(io) {}
  bool tcp = false;
  std::string instance_id;  // Unix sockets: the instance the socket serves
  std::string path;
  Acceptor acceptor;
  asio::generic::stream_protocol::endpoint peer;
  std::size_t open = 0;
  std::size_t cap = 0;
  bool closed = false;
};

EgdServer::EgdServer(const EgdOptions& config, Registry& registry, AddressIndex& addresses,
                     Dispenser& dispenser, EntropyService& entropy, MetricsRegistry& metrics)
    : config_(config),
      addresses_(addresses),
      shared_{
          config,
          registry,
          dispenser,
          entropy,
          {},
          metrics.AddCounter("seedwell_egd_requests_total", "EGD requests by command", {"command"}),
          metrics.AddCounter("seedwell_egd_events_total",
                             "EGD connection events (closes by reason, rate waits, ignored "
                             "writes)",
                             {"event"}),
          metrics.AddHistogram(
              "seedwell_egd_request_duration_seconds",
              "Time from an EGD request's arrival to its reply being queued, by command (a "
              "blocking read includes its wait for the rate limit)",
              {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60}, {"command"})},
      open_connections_(
          metrics.AddGauge("seedwell_egd_connections", "Open EGD connections", {"listener"})),
      connections_total_(metrics.AddCounter("seedwell_egd_connections_total",
                                            "EGD connections by listener and outcome",
                                            {"listener", "outcome"})) {
  Instance anonymous;
  anonymous.id = kAnonymousId;
  anonymous.rate_limit =
      RateLimit{config.anonymous_rate_bytes_per_second, config.anonymous_burst_bytes};
  shared_.anonymous = std::make_shared<const Instance>(std::move(anonymous));
  work_.emplace(asio::make_work_guard(io_));
}

EgdServer::~EgdServer() {
  for (auto& [id, listener] : unix_) CloseListener(*listener);
}

void EgdServer::Execute(const std::function<void()>& fn) {
  if (!running_ || std::this_thread::get_id() == loop_thread_) return fn();
  std::packaged_task<void()> task(fn);
  auto done = task.get_future();
  asio::post(io_, [&task] { task(); });
  done.wait();
}

Result<int> EgdServer::ListenTcp(const std::string& host, int port) {
  Result<int> result = Fail(ErrorCode::kInternal, "not run");
  Execute([&] {
    asio::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) {
      result = Fail(ErrorCode::kUnavailable, "EGD listener: bad address '" + host + "'");
      return;
    }
    auto listener = std::make_shared<Listener>(io_);
    listener->tcp = true;
    listener->cap = static_cast<std::size_t>(config_.max_connections);
    const asio::generic::stream_protocol::endpoint ep(
        asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port)));
    listener->acceptor.open(ep.protocol(), ec);
    if (!ec) listener->acceptor.set_option(Acceptor::reuse_address(true), ec);
    if (!ec) listener->acceptor.bind(ep, ec);
    if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    asio::generic::stream_protocol::endpoint bound;
    if (!ec) bound = listener->acceptor.local_endpoint(ec);
    if (ec) {
      result = Fail(ErrorCode::kUnavailable,
                    "EGD listener " + host + ":" + std::to_string(port) + ": " + ec.message());
      return;
    }
    const auto* sa = bound.data();
    result = ntohs(sa->sa_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port
                                             : reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
    tcp_ = listener;
    Accept(listener);
  });
  return result;
}

Result<void> EgdServer::ListenUnix(const std::string& instance_id, const std::string& path,
                                   unsigned mode, std::string_view reason) {
  Result<void> result;
  Execute([&] {
    if (unix_.contains(instance_id) || stopped_) return;
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());  // stale
    auto listener = std::make_shared<Listener>(io_);
    listener->instance_id = instance_id;
    listener->path = path;
    listener->cap = static_cast<std::size_t>(
        std::min(config_.max_connections, config_.max_connections_per_peer));
    const asio::local::stream_protocol::endpoint local(path);
    const asio::generic::stream_protocol::endpoint ep(local);
    asio::error_code ec;
    listener->acceptor.open(ep.protocol(), ec);
    if (!ec) listener->acceptor.bind(ep, ec);
    // Permissions are set before listen(), so nobody can connect under the umask's mode.
    if (!ec && chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
    if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      asio::error_code ignored;
      listener->acceptor.close(ignored);
      unlink(path.c_str());
      result = Fail(ErrorCode::kUnavailable, "EGD socket " + path + ": " + ec.message());
      return;
    }
    unix_[instance_id] = listener;
    spdlog::info("event=egd_socket_open instance={} path={} reason=\"{}\"", instance_id, path,
                 reason);
    Accept(listener);
  });
  return result;
}

void EgdServer::CloseListener(Listener& listener) {
  if (listener.closed) return;
  listener.closed = true;
  asio::error_code ignored;
  listener.acceptor.close(ignored);
  if (!listener.path.empty()) unlink(listener.path.c_str());
}

void EgdServer::CloseUnix(const std::string& instance_id, std::string_view reason) {
  Execute([&] {
    auto it = unix_.find(instance_id);
    if (it == unix_.end()) return;
    CloseListener(*it->second);
    spdlog::info("event=egd_socket_closed instance={} path={} reason=\"{}\"", instance_id,
                 it->second->path, reason);
    unix_.erase(it);
    std::vector<std::shared_ptr<EgdConnection>> victims;
    for (auto& [raw, conn] : connections_) {
      if (conn->instance_id() == instance_id) victims.push_back(conn);
    }
    for (auto& conn : victims) conn->Close("revoked", "instance socket removed", true);
  });
}

std::vector<std::string> EgdServer::UnixInstances() {
  std::vector<std::string> ids;
  Execute([&] {
    for (const auto& [id, listener] : unix_) ids.push_back(id);
  });
  return ids;
}

void EgdServer::Accept(const std::shared_ptr<Listener>& listener) {
  listener->acceptor.async_accept(
      listener->peer, [this, listener](const asio::error_code& ec, EgdConnection::Socket socket) {
        if (listener->closed || stopped_ || ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of descriptors or a transient error: log, pause briefly rather than spin.
          spdlog::warn("event=egd_accept_failed error=\"{}\"", ec.message());
          auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
          timer->async_wait([this, listener, timer](const asio::error_code&) {
            if (!listener->closed && !stopped_) Accept(listener);
          });
          return;
        }
        OnAccepted(listener, std::move(socket));
        Accept(listener);
      });
}

void EgdServer::Reject(const std::shared_ptr<Listener>& listener, const char* outcome,
                       const std::string& peer, bool warn) {
  connections_total_.WithLabels({listener->tcp ? "tcp" : "unix", outcome}).Increment();
  spdlog::log(warn ? spdlog::level::warn : spdlog::level::debug,
              "event=egd_rejected outcome={} listener={} peer={} instance={}", outcome,
              listener->tcp ? "tcp" : "unix", peer, listener->instance_id);
}

void EgdServer::OnAccepted(const std::shared_ptr<Listener>& listener,
                           EgdConnection::Socket socket) {
  const char* kind = listener->tcp ? "tcp" : "unix";
  const std::string peer = listener->tcp ? PeerAddress(listener->peer) : listener->path;
  if (listener->open >= listener->cap) return Reject(listener, "rejected_listener_cap", peer, true);
  std::string instance_id = listener->instance_id;
  if (listener->tcp) {
    if (per_peer_[peer] >= config_.max_connections_per_peer) {
      return Reject(listener, "rejected_peer_cap", peer, true);
    }
    auto found = addresses_.Find(peer);
    if (found) {
      instance_id = (*found)->id;
    } else if (!config_.allow_anonymous) {
      if (per_peer_[peer] == 0) per_peer_.erase(peer);
      return Reject(listener, "rejected_unknown_peer", peer, true);
    }  // else anonymous: an empty instance id
    ++per_peer_[peer];
  }
  ++listener->open;
  open_connections_.WithLabels({kind}).Add(1);
  connections_total_.WithLabels({kind, "accepted"}).Increment();
  auto conn = std::make_shared<EgdConnection>(std::move(socket), shared_, instance_id, peer, kind,
                                              [this, listener, peer, kind](EgdConnection* closed) {
                                                --listener->open;
                                                open_connections_.WithLabels({kind}).Add(-1);
                                                if (listener->tcp && --per_peer_[peer] <= 0)
                                                  per_peer_.erase(peer);
                                                // Defer the release: |closed| may be inside one of
                                                // its own handlers.
                                                asio::post(io_, [this, closed] {
                                                  connections_.erase(closed);
                                                  if (stopped_ && connections_.empty()) io_.stop();
                                                });
                                              });
  connections_.emplace(conn.get(), conn);
  spdlog::debug("event=egd_accepted listener={} peer={} instance={}", kind, peer,
                instance_id.empty() ? "anonymous" : instance_id);
  conn->Start();
}

void EgdServer::Every(std::chrono::milliseconds period, std::function<void()> fn) {
  Execute([&] {
    auto timer = std::make_shared<asio::steady_timer>(io_);
    tickers_.push_back(timer);
    Tick(timer, period, fn);
  });
}

void EgdServer::Tick(const std::shared_ptr<asio::steady_timer>& timer,
                     std::chrono::milliseconds period, const std::function<void()>& fn) {
  timer->expires_after(period);
  timer->async_wait([this, timer, period, fn](const asio::error_code& ec) {
    if (ec || stopped_) return;
    fn();
    Tick(timer, period, fn);
  });
}

void EgdServer::Run() {
  loop_thread_ = std::this_thread::get_id();
  running_ = true;  // before any handler runs: StartThread waits for its first one
  io_.run();
  running_ = false;
}

std::thread EgdServer::StartThread() {
  std::promise<void> started;
  asio::post(io_, [&started] { started.set_value(); });
  std::thread thread([this] { Run(); });
  started.get_future().wait();
  return thread;
}

void EgdServer::Stop() {
  Execute([&] {
    if (stopped_) return;
    stopped_ = true;
    shared_.stopping = true;
    if (tcp_) CloseListener(*tcp_);
    for (auto& [id, listener] : unix_) CloseListener(*listener);
    for (auto& timer : tickers_) timer->cancel();
    std::vector<std::shared_ptr<EgdConnection>> all;
    for (auto& [raw, conn] : connections_) all.push_back(conn);
    for (auto& conn : all) conn->Shutdown();
    auto grace = std::make_shared<asio::steady_timer>(
        io_, std::chrono::milliseconds(config_.shutdown_timeout_ms));
    grace->async_wait([this, grace](const asio::error_code&) { io_.stop(); });
    work_.reset();
    if (connections_.empty()) io_.stop();
    spdlog::info("event=egd_stopping connections={}", all.size());
  });
}

}  // namespace seedwell

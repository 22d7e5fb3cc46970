// EgdServer: the EGD transport of `seedwell serve`, on one Asio event loop (one thread).
//
// Listeners: an optional TCP listener whose callers are identified by source address through
// the AddressIndex (or, when configured, served anonymously from one strict shared bucket), and
// any number of Unix socket listeners, each bound to one instance: the socket is the identity,
// so a hypervisor points one VM's QEMU rng-egd backend at it. Connections are EgdConnection
// objects; an idle one costs a socket, a small request ring and two timers, no thread and no
// buffer. Floods are capped per listener (--egd-max-connections; for a Unix socket also
// --egd-max-connections-per-peer, since the socket is the peer) and per TCP source address;
// a refused connection is closed at once, logged and counted.
//
// Threading: Run() runs the loop; every other method may be called from any thread and runs its
// work on the loop (waiting for it). Stop() stops accepting, lets replies in flight finish for up
// to --egd-shutdown-timeout-ms, closes everything and makes Run() return.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/egd/egd_connection.h"
#include "api/egd/egd_options.h"
#include "crypto/result.h"
#include "service/address_index.h"
#include "service/dispenser.h"
#include "service/entropy_service.h"
#include "service/metrics.h"
#include "service/registry.h"

namespace seedwell {

class EgdServer {
 public:
  // EgdServer serves with |config| (validated), drawing through |dispenser|; every reference must
  // outlive it. It registers its metric families on |metrics| (start-up: throws on a clash).
  EgdServer(const EgdOptions& config, Registry& registry, AddressIndex& addresses,
            Dispenser& dispenser, EntropyService& entropy, MetricsRegistry& metrics);
  ~EgdServer();
  EgdServer(const EgdServer&) = delete;
  EgdServer& operator=(const EgdServer&) = delete;

  // ListenTcp binds the TCP listener; it returns the bound port (useful with port 0), or
  // kUnavailable naming the address.
  Result<int> ListenTcp(const std::string& host, int port);

  // ListenUnix creates a Unix socket at |path| with permissions |mode| serving |instance_id|
  // (replacing a stale socket file; an existing listener for the instance is kept) and logs it
  // with |reason|. kUnavailable when the socket cannot be created; nothing is left behind then.
  Result<void> ListenUnix(const std::string& instance_id, const std::string& path, unsigned mode,
                          std::string_view reason);

  // CloseUnix closes the instance's socket, removes its file, closes its connections and logs it
  // with |reason|; nothing happens (and nothing is logged) when the instance has no socket.
  void CloseUnix(const std::string& instance_id, std::string_view reason);

  // UnixInstances returns the instances that have a socket now.
  std::vector<std::string> UnixInstances();

  // Every runs |fn| on the loop every |period| until Stop().
  void Every(std::chrono::milliseconds period, std::function<void()> fn);

  // Run runs the event loop in this thread until Stop() has finished.
  void Run();

  // StartThread runs the loop on a new thread and returns once the loop is running.
  std::thread StartThread();

  // Stop shuts down as described above; idempotent, callable from any thread.
  void Stop();

 private:
  struct Listener;
  using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

  void Execute(const std::function<void()>& fn);
  void Accept(const std::shared_ptr<Listener>& listener);
  void OnAccepted(const std::shared_ptr<Listener>& listener, EgdConnection::Socket socket);
  void Reject(const std::shared_ptr<Listener>& listener, const char* outcome,
              const std::string& peer, bool warn);
  void CloseListener(Listener& listener);
  void Tick(const std::shared_ptr<asio::steady_timer>& timer, std::chrono::milliseconds period,
            const std::function<void()>& fn);

  const EgdOptions& config_;
  AddressIndex& addresses_;
  asio::io_context io_;
  EgdShared shared_;
  Family<Gauge>& open_connections_;
  Family<Counter>& connections_total_;

  std::shared_ptr<Listener> tcp_;
  std::map<std::string, std::shared_ptr<Listener>> unix_;  // by instance id
  std::map<std::string, int> per_peer_;                    // open TCP connections by address
  std::unordered_map<EgdConnection*, std::shared_ptr<EgdConnection>> connections_;
  std::vector<std::shared_ptr<asio::steady_timer>> tickers_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::atomic<bool> running_{false};
  std::thread::id loop_thread_{};
  bool stopped_ = false;
};

}  // namespace seedwell

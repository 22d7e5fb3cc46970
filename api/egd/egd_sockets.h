// EgdSockets: the per-instance EGD Unix sockets in --egd-socket-dir, named <instance-id>.sock
// (egd_socket_path.h): one per active instance, or, on a node agent (`seedwell serve --node
// NAME`), one per active instance whose host is NAME.
//
// Theory of operation. The sockets follow the Registry's instance events. An event that carries
// the instance (a write made through this process) is applied at once on the writer's thread: the
// socket is opened or closed as EgdSocketPath says for the instance as now stored, so a create,
// a move (host changed to or away from NAME), a revocation or a deletion takes effect before the
// admin call returns. An event without the record (another replica's write, learnt from the
// change feed) is queued; a worker thread of this object reads the instance from the Registry and
// applies it the same way (revocations and deletions need no read and are applied at once). The
// worker also reconciles every |reconcile_period| (and at start): the open sockets are matched to
// the Registry's active instances (on a node agent: those with host NAME), which catches anything
// an event missed, such as notices lost while the change feed reconnected. Every open and close
// is logged with its reason (egd_server.h). One mutex orders all of it, so a read made for an older
// event can never reopen a socket a newer event closed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "api/egd/egd_server.h"
#include "crypto/result.h"
#include "service/instance.h"
#include "service/registry.h"

namespace seedwell {

class EgdSockets {
 public:
  // kMaxPending bounds the record-less events waiting for the worker; past it they are dropped and
  // the worker reconciles everything instead.
  static constexpr std::size_t kMaxPending = 4096;

  // EgdSockets manages sockets under |dir| with permissions |mode|, served by |server|, for the
  // instances on host |node| (empty: every instance); both |server| and |registry| must outlive
  // it.
  EgdSockets(EgdServer& server, Registry& registry, std::string dir, unsigned mode,
             std::string node, std::chrono::milliseconds reconcile_period);
  ~EgdSockets();
  EgdSockets(const EgdSockets&) = delete;
  EgdSockets& operator=(const EgdSockets&) = delete;

  // Prepare creates the directory (0750 if new), subscribes to the registry's instance events,
  // opens a socket for every instance that should have one and starts the worker thread.
  // kUnavailable if the directory cannot be created.
  Result<void> Prepare();

  // Stop unsubscribes from the registry and joins the worker; idempotent. Call it before the
  // server stops.
  void Stop();

  // Reconcile makes the open sockets match the registry's instances (see the top of this file).
  void Reconcile();

 private:
  // OnEvent applies an event that carries its instance, or queues one that does not.
  void OnEvent(const InstanceEvent& event);
  // Apply opens or closes |instance|'s socket as EgdSocketPath decides, logging |change|'s reason.
  // Requires apply_mutex_.
  void Apply(const Instance& instance, InstanceChange change);
  // Resolve reads the instance |id| and applies it (closes its socket if it is gone).
  void Resolve(const std::string& id, InstanceChange change);
  // ReconcileLocked is Reconcile; requires apply_mutex_.
  void ReconcileLocked(std::string_view reason);
  void Worker();

  EgdServer& server_;
  Registry& registry_;
  const std::string dir_;
  const unsigned mode_;
  const std::string node_;
  const std::chrono::milliseconds reconcile_period_;
  std::uint64_t subscription_ = 0;  // the registry subscription; 0 before Prepare

  std::mutex apply_mutex_;  // held across every decision and its socket change

  std::mutex queue_mutex_;
  std::condition_variable wake_;
  std::map<std::string, InstanceChange> pending_;  // record-less events by id, the latest kind
  bool resync_ = false;                            // pending_ overflowed: reconcile instead
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace seedwell

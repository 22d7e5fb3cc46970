// EgdSockets: the per-instance EGD Unix sockets in --egd-socket-dir, one per active instance,
// named <instance-id>.sock (egd_socket_path.h). It follows the Registry's instance events: a socket
// is created when the instance is created (and at start-up for every active instance) and removed
// when it is revoked or deleted; a periodic Reconcile catches anything an event missed.
#pragma once

#include <cstdint>
#include <string>

#include "api/egd/egd_server.h"
#include "crypto/result.h"
#include "service/instance.h"
#include "service/registry.h"

namespace seedwell {

class EgdSockets {
 public:
  // EgdSockets manages sockets under |dir| with permissions |mode|, served by |server|; both
  // |server| and |registry| must outlive it.
  EgdSockets(EgdServer& server, Registry& registry, std::string dir, unsigned mode);
  ~EgdSockets();
  EgdSockets(const EgdSockets&) = delete;
  EgdSockets& operator=(const EgdSockets&) = delete;

  // Prepare creates the directory (0750 if new), subscribes to the registry's instance events and
  // opens a socket for every active instance.
  // kUnavailable if the directory cannot be created or the registry read.
  Result<void> Prepare();

  // Open creates |instance|'s socket if it is active (idempotent); failures are logged and
  // returned (kUnavailable), and a later Reconcile retries.
  Result<void> Open(const Instance& instance);

  // Close removes the socket of |instance_id| and closes its connections (idempotent).
  void Close(const std::string& instance_id);

  // Reconcile makes the open sockets match the registry's active instances.
  void Reconcile();

 private:
  // OnEvent opens or closes the socket an instance event calls for.
  void OnEvent(const InstanceEvent& event);

  EgdServer& server_;
  Registry& registry_;
  const std::string dir_;
  const unsigned mode_;
  std::uint64_t subscription_ = 0;  // the registry subscription; 0 before Prepare
};

}  // namespace seedwell

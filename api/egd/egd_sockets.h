// EgdSockets: the per-instance EGD Unix sockets in --egd-socket-dir, one per active instance,
// named <instance-id>.sock. A socket is created when the instance is created (and at start-up for
// every active instance) and removed when it is revoked or deleted; a periodic Reconcile also
// catches instances created or revoked another way (vendordata, another replica).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

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

  // Prepare creates the directory (0750 if new) and opens a socket for every active instance.
  // kUnavailable if the directory cannot be created or the registry read.
  Result<void> Prepare();

  // PathFor returns the socket path of |instance|, or nothing if it is not active.
  std::optional<std::string> PathFor(const Instance& instance) const;

  // Open creates |instance|'s socket if it is active (idempotent); failures are logged and
  // returned (kUnavailable), and a later Reconcile retries.
  Result<void> Open(const Instance& instance);

  // Close removes the socket of |instance_id| and closes its connections (idempotent).
  void Close(const std::string& instance_id);

  // Reconcile makes the open sockets match the registry's active instances.
  void Reconcile();

 private:
  std::string PathOf(const std::string& id) const;

  EgdServer& server_;
  Registry& registry_;
  const std::string dir_;
  const unsigned mode_;
};

// AddEgdSocketField sets out["egd_socket"] to |instance|'s socket path, or null when |sockets| is
// null (no --egd-socket-dir) or the instance is not active.
void AddEgdSocketField(const EgdSockets* sockets, const Instance& instance, nlohmann::json& out);

}  // namespace seedwell

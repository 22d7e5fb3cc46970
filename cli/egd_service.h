// EgdService: the EGD transport as `seedwell serve` runs it: the server, its TCP listener, the
// per-instance sockets (which follow the Registry's instance events) and the loop thread, built
// from ServeConfig::egd. Not created when neither --egd-listen nor --egd-socket-dir is set.
#pragma once

#include <memory>
#include <thread>

#include "api/egd/egd_options.h"
#include "api/egd/egd_server.h"
#include "api/egd/egd_sockets.h"
#include "api/routes/app_context.h"
#include "crypto/result.h"

namespace seedwell {

class EgdService {
 public:
  // Start builds and starts the EGD transport for |ctx| with |options| (validated by
  // FinishEgdConfig), or returns null when EGD is not configured; kUnavailable when a listener or
  // the socket directory cannot be set up. |ctx| and |options| must outlive the result.
  static Result<std::unique_ptr<EgdService>> Start(AppContext& ctx, const EgdOptions& options);
  ~EgdService();
  EgdService(const EgdService&) = delete;
  EgdService& operator=(const EgdService&) = delete;

  // Stop unsubscribes the sockets from the registry (and stops their worker), shuts the transport
  // down gracefully and joins its thread; idempotent.
  void Stop();

 private:
  EgdService(AppContext& ctx, const EgdOptions& options);

  EgdServer server_;
  std::unique_ptr<EgdSockets> sockets_;
  std::thread thread_;
};

}  // namespace seedwell

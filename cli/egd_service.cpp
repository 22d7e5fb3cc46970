#include "cli/egd_service.h"

#include <spdlog/spdlog.h>

#include "cli/egd_config.h"
#include "crypto/host_port.h"

namespace seedwell {

namespace {
// kReconcilePeriod is how often the sockets are matched against the registry.
constexpr std::chrono::seconds kReconcilePeriod{5};
}  // namespace

EgdService::EgdService(AppContext& ctx, const EgdOptions& options)
    : server_(options, ctx.registry, ctx.addresses, ctx.dispenser, ctx.entropy, ctx.metrics) {}

EgdService::~EgdService() { Stop(); }

Result<std::unique_ptr<EgdService>> EgdService::Start(AppContext& ctx, const EgdOptions& options) {
  const EgdOptions& c = options;
  if (c.listen.empty() && c.socket_dir.empty()) return std::unique_ptr<EgdService>();
  std::unique_ptr<EgdService> service(new EgdService(ctx, c));
  service->thread_ = service->server_.StartThread();
  if (!c.listen.empty()) {
    const HostPort hp = *ParseHostPort(c.listen);
    auto port = service->server_.ListenTcp(hp.host, hp.port);
    SEEDWELL_RETURN_IF_ERROR(port);
    spdlog::info("egd listener on {}:{}", hp.host, *port);
  }
  if (!c.socket_dir.empty()) {
    auto mode = ParseSocketMode(c.socket_mode);
    SEEDWELL_RETURN_IF_ERROR(mode);
    service->sockets_ = std::make_unique<EgdSockets>(service->server_, ctx.registry, c.socket_dir,
                                                     *mode, c.node, kReconcilePeriod);
    SEEDWELL_TRY(service->sockets_->Prepare());
    if (c.node.empty()) {
      spdlog::info("egd sockets in {} (mode {})", c.socket_dir, c.socket_mode);
    } else {
      spdlog::info(
          "event=node_agent node={} note=\"EGD sockets in {} (mode {}) for the instances "
          "whose host is {}\"",
          c.node, c.socket_dir, c.socket_mode, c.node);
    }
  }
  return service;
}

void EgdService::Stop() {
  // First the sockets' events and worker, so nothing opens a socket on a stopping server.
  if (sockets_) sockets_->Stop();
  server_.Stop();
  if (thread_.joinable()) thread_.join();
  sockets_.reset();
}

}  // namespace seedwell

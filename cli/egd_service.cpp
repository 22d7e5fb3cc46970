#include "cli/egd_service.h"

#include <spdlog/spdlog.h>

#include "api/routes/serve_metrics.h"

namespace seedwell {

namespace {
// kReconcilePeriod is how often the sockets are matched against the registry.
constexpr std::chrono::seconds kReconcilePeriod{5};
}  // namespace

EgdService::EgdService(AppContext& ctx)
    : ctx_(ctx),
      server_(ctx.config.egd, ctx.registry, ctx.addresses, ctx.dispenser, ctx.entropy,
              ctx.metrics) {}

EgdService::~EgdService() { Stop(); }

Result<std::unique_ptr<EgdService>> EgdService::Start(AppContext& ctx) {
  const EgdConfig& c = ctx.config.egd;
  if (c.listen.empty() && c.socket_dir.empty()) return std::unique_ptr<EgdService>();
  std::unique_ptr<EgdService> service(new EgdService(ctx));
  service->thread_ = service->server_.StartThread();
  if (!c.listen.empty()) {
    const HostPort hp = *ParseHostPort(c.listen);
    auto port = service->server_.ListenTcp(hp.host, hp.port);
    SEEDWELL_RETURN_IF_ERROR(port);
    spdlog::info("egd listener on {}:{}", hp.host, *port);
  }
  if (!c.socket_dir.empty()) {
    service->sockets_ =
        std::make_unique<EgdSockets>(service->server_, ctx.registry, c.socket_dir, c.SocketMode());
    SEEDWELL_TRY(service->sockets_->Prepare());
    ctx.egd_sockets = service->sockets_.get();
    EgdSockets* sockets = service->sockets_.get();
    service->server_.Every(kReconcilePeriod, [sockets] { sockets->Reconcile(); });
    spdlog::info("egd sockets in {} (mode {})", c.socket_dir, c.socket_mode);
  }
  return service;
}

void EgdService::Stop() {
  server_.Stop();
  if (thread_.joinable()) thread_.join();
  ctx_.egd_sockets = nullptr;
}

}  // namespace seedwell

#include "api/routes/serve_metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/routes/app_context.h"
#include "api/routes/metric_labels.h"

namespace seedwell {

ServeMetrics::ServeMetrics(MetricsRegistry& registry)
    : requests_(registry.AddCounter("seedwell_http_requests_total",
                                    "HTTP requests answered, by listener, route, method and status",
                                    {"listener", "route", "method", "status"})),
      latency_(registry.AddHistogram(
          "seedwell_http_request_duration_seconds",
          "Time from a request's first byte to its response, by listener and route",
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
          {"listener", "route"})),
      bytes_issued_(registry.AddCounter("seedwell_bytes_issued_total",
                                        "Entropy bytes handed to instances, by transport",
                                        {"transport"})),
      rate_limit_refusals_(registry.AddCounter(
          "seedwell_rate_limit_refusals_total",
          "Requests refused (HTTP 429, EGD empty reply) or held back (EGD blocking read) by a "
          "rate limit, by transport",
          {"transport"})),
      usage_dropped_(registry.AddCounter(
          "seedwell_usage_dropped_bytes_total",
          "Usage bytes not recorded: issued to an instance first seen while the pending-usage "
          "buffer was full (the store away for long)")),
      signature_batches_(registry.AddCounter(
          "seedwell_signature_batches_total",
          "Merkle roots signed for guest blocks (--guest-signing batch): one per batch")),
      batched_blocks_(
          registry.AddCounter("seedwell_batched_blocks_total",
                              "Guest blocks signed as leaves of a Merkle batch; divided by "
                              "seedwell_signature_batches_total, the mean batch size")),
      source_healthy_(registry.AddGauge("seedwell_source_healthy",
                                        "1 if the entropy source is healthy, else 0", {"source"})),
      source_disabled_(registry.AddGauge(
          "seedwell_source_disabled",
          "1 if the entropy source is disabled by a permanent health-test failure (it needs "
          "POST /v1/sources/{name}/reset or a restart), else 0",
          {"source"})),
      source_bytes_(registry.AddGauge("seedwell_source_bytes",
                                      "Bytes the entropy source has delivered", {"source"})),
      source_failures_(registry.AddCounter("seedwell_source_failures_total",
                                           "Failures of the entropy source: health tests and reads",
                                           {"source"})),
      health_test_failures_(registry.AddCounter(
          "seedwell_health_test_failures_total",
          "SP 800-90B health-test failures of the entropy source, by test (rct, apt: continuous; "
          "startup: the start-up test)",
          {"source", "test"})),
      drbg_(registry.AddGauge("seedwell_drbg",
                              "DRBG state: ready (1/0), generation, reseeds, reseed_failures, "
                              "bytes_generated (for reseeds prefer seedwell_drbg_reseeds_total)",
                              {"field"})),
      drbg_reseeds_(registry.AddCounter("seedwell_drbg_reseeds_total",
                                        "Successful reseeds of the root DRBG")),
      drbg_reseed_failures_(registry.AddCounter(
          "seedwell_drbg_reseed_failures_total",
          "Failed reseed attempts of the root DRBG (no seed met the seeding policy)")),
      instances_(
          registry.AddGauge("seedwell_instances", "Registered instances by state", {"state"})),
      cluster_replicas_(registry.AddGauge(
          "seedwell_cluster_replicas",
          "Replicas registered in the store, by state (live: heartbeat within 3 s; down: silent "
          "since); each replica enforces 1/live of every rate-limit budget",
          {"state"})),
      cluster_stale_(registry.AddGauge("seedwell_cluster_view_stale",
                                       "1 while this replica's last heartbeat or listing of the "
                                       "replicas failed (it keeps its last view and share)")) {}

void ServeMetrics::ObserveRequest(const std::string& listener, const RequestRecord& r) {
  // Labels come from fixed sets (metric_labels.h): a peer's invented method is "other".
  requests_.WithLabels({listener, r.route, MethodLabel(r.method), StatusLabel(r.status)})
      .Increment();
  latency_.WithLabels({listener, r.route}).Observe(static_cast<double>(r.latency.count()) / 1e6);
  const auto level = listener == "admin" ? spdlog::level::info : spdlog::level::debug;
  spdlog::log(level, "event=request listener={} method={} route={} status={} latency_us={} peer={}",
              listener, r.method, r.route, r.status, r.latency.count(), r.peer);
}

void ServeMetrics::Refresh(AppContext& ctx) {
  for (const auto& source : ctx.entropy.Sources()) {
    const std::string name(source.name);
    source_healthy_.WithLabels({name}).Set(source.state == SourceState::kHealthy ? 1 : 0);
    source_disabled_.WithLabels({name}).Set(source.state == SourceState::kDisabled ? 1 : 0);
    source_bytes_.WithLabels({name}).Set(static_cast<double>(source.bytes_delivered));
    source_failures_.WithLabels({name}).AdvanceTo(static_cast<double>(source.failures));
    health_test_failures_.WithLabels({name, "rct"})
        .AdvanceTo(static_cast<double>(source.rct_failures));
    health_test_failures_.WithLabels({name, "apt"})
        .AdvanceTo(static_cast<double>(source.apt_failures));
    health_test_failures_.WithLabels({name, "startup"})
        .AdvanceTo(static_cast<double>(source.startup_failures));
  }
  const DrbgStats stats = ctx.entropy.Stats();
  drbg_.WithLabels({"ready"}).Set(stats.ready ? 1 : 0);
  drbg_.WithLabels({"generation"}).Set(static_cast<double>(stats.generation));
  drbg_.WithLabels({"reseeds"}).Set(static_cast<double>(stats.reseeds));
  drbg_.WithLabels({"reseed_failures"}).Set(static_cast<double>(stats.reseed_failures));
  drbg_.WithLabels({"bytes_generated"}).Set(static_cast<double>(stats.bytes_generated));
  drbg_reseeds_.Get().AdvanceTo(static_cast<double>(stats.reseeds));
  drbg_reseed_failures_.Get().AdvanceTo(static_cast<double>(stats.reseed_failures));
  if (auto counts = ctx.registry.CountByState()) {
    instances_.WithLabels({"active"}).Set(static_cast<double>(counts->active));
    instances_.WithLabels({"revoked"}).Set(static_cast<double>(counts->revoked));
  }
  if (ctx.membership != nullptr) {
    const ClusterView view = ctx.membership->View();
    const auto down = std::count_if(view.replicas.begin(), view.replicas.end(),
                                    [](const ReplicaRecord& r) { return !r.live; });
    cluster_replicas_.WithLabels({"live"}).Set(static_cast<double>(view.live));
    cluster_replicas_.WithLabels({"down"}).Set(static_cast<double>(down));
    cluster_stale_.Get().Set(view.stale ? 1 : 0);
  }
}

}  // namespace seedwell

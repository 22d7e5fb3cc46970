// ServeMetrics: the Prometheus metrics of `seedwell serve`: HTTP requests by listener, route and
// status with latency histograms; bytes issued and rate-limit refusals by transport; entropy
// sources' health, failures (by health test) and bytes; DRBG state and reseeds; instances by
// state; the cluster's replicas (live, down) as this replica sees them. Request metrics are updated
// by the listeners' observers and the Dispenser; the rest is read at scrape time, counters
// advancing to the cumulative totals the entropy core keeps (Counter::AdvanceTo), so they never go
// down. docs/metrics.md lists every metric.
#pragma once

#include <string>

#include "api/http/http_server.h"
#include "service/batch_signer.h"
#include "service/metrics.h"

namespace seedwell {

struct AppContext;

class ServeMetrics {
 public:
  // ServeMetrics registers its families on |registry|, which must outlive it.
  explicit ServeMetrics(MetricsRegistry& registry);

  // ObserveRequest counts one finished request on |listener| ("guest" or "admin") and, for the
  // admin listener, logs it at info (guest requests are logged at debug: they are many).
  void ObserveRequest(const std::string& listener, const RequestRecord& record);

  // bytes_issued counts entropy bytes handed to instances, by transport (the Dispenser updates it).
  Family<Counter>& bytes_issued() { return bytes_issued_; }
  // rate_limit_refusals counts requests refused (or held back) by a rate limit, by transport (the
  // Dispenser updates it).
  Family<Counter>& rate_limit_refusals() { return rate_limit_refusals_; }

  // usage_dropped counts usage bytes dropped past the Dispenser's pending-usage bound (the
  // Dispenser updates it).
  Counter& usage_dropped() { return usage_dropped_.Get(); }

  // signing returns the counters of the guest listener's batch signers (roots and the blocks they
  // covered).
  SigningCounters signing() { return {&signature_batches_.Get(), &batched_blocks_.Get()}; }

  // Refresh copies the current state of sources, DRBG and store into the scrape-time gauges.
  void Refresh(AppContext& ctx);

 private:
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
  Family<Counter>& bytes_issued_;
  Family<Counter>& rate_limit_refusals_;
  Family<Counter>& usage_dropped_;
  Family<Counter>& signature_batches_;
  Family<Counter>& batched_blocks_;
  Family<Gauge>& source_healthy_;
  Family<Gauge>& source_disabled_;
  Family<Gauge>& source_bytes_;
  Family<Counter>& source_failures_;
  Family<Counter>& health_test_failures_;
  Family<Gauge>& drbg_;
  Family<Counter>& drbg_reseeds_;
  Family<Counter>& drbg_reseed_failures_;
  Family<Gauge>& instances_;
  Family<Gauge>& cluster_replicas_;
  Family<Gauge>& cluster_stale_;
};

}  // namespace seedwell

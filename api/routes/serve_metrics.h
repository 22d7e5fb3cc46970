// ServeMetrics: the Prometheus metrics of `seedwell serve`: HTTP requests by listener, route and
// status with latency histograms; entropy sources' health and bytes; DRBG reseeds; instances by
// state. Request metrics are updated by the listeners' observers; the rest is read at scrape time.
#pragma once

#include <string>

#include "api/http/http_server.h"
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

  // Refresh copies the current state of sources, DRBG and store into the scrape-time gauges.
  void Refresh(AppContext& ctx);

 private:
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
  Family<Counter>& bytes_issued_;
  Family<Gauge>& source_healthy_;
  Family<Gauge>& source_bytes_;
  Family<Gauge>& source_failures_;
  Family<Gauge>& drbg_;
  Family<Gauge>& instances_;
};

}  // namespace seedwell

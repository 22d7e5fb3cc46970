#include "api/routes/health_routes.h"

#include "api/http/json_error.h"
#include "api/routes/status_json.h"

namespace seedwell {

void RegisterHealthRoutes(HttpServer& server, AppContext& ctx) {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    WriteJson(res, 200, {{"status", "ok"}});
  });
  server.Get("/readyz", [&ctx](const httplib::Request&, httplib::Response& res) {
    const nlohmann::json checks = ReadinessChecks(ctx);
    const bool ready = checks["drbg"] && checks["store"] && checks["keys"];
    WriteJson(res, ready ? 200 : 503,
              {{"status", ready ? "ok" : "unavailable"}, {"checks", checks}});
  });
}

}  // namespace seedwell

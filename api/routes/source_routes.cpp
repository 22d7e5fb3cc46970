#include "api/routes/source_routes.h"

#include <spdlog/spdlog.h>

#include <string>

#include "api/http/json_error.h"
#include "api/routes/admin_routes.h"
#include "api/routes/status_json.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

// ResetSource answers POST /v1/sources/{name}/reset: 200 with the source as it stands after a
// fresh start-up test (healthy, or quarantined or disabled again if it still fails), 404 for a
// name that is not one of this process's sources. The name is never echoed back: it is the
// caller's text.
void ResetSource(AppContext& ctx, const Request& req, Response& res) {
  const std::string name = req.matches[1].str();
  auto status = ctx.entropy.ResetSource(name);
  if (!status) {
    std::string known;
    for (const auto& s : ctx.entropy.Sources()) known += (known.empty() ? "" : ", ") + s.name;
    return WriteError(res, Error{ErrorCode::kNotFound,
                                 "no such entropy source (this process has: " + known + ")"});
  }
  spdlog::warn("event=source_reset_by_admin source={} state={}", status->name,
               SourceStateName(status->state));
  WriteJson(res, 200, SourceToJson(*status));
}

}  // namespace

void RegisterSourceRoutes(HttpServer& server, AppContext& ctx) {
  server.Post("/v1/sources/([^/]+)/reset", Admin(ctx, ResetSource));
}

}  // namespace seedwell

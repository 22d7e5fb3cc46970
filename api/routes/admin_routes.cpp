#include "api/routes/admin_routes.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "api/egd/egd_socket_path.h"
#include "api/http/json_error.h"
#include "api/routes/serve_metrics.h"
#include "api/routes/status_json.h"
#include "crypto/encoding.h"
#include "service/instance_json.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

// InstanceIdParam returns the {id} segment of an /v1/instances/{id}... route.
std::string InstanceIdParam(const Request& req) { return req.matches[1].str(); }

// BearerToken returns the token of an "Authorization: Bearer" header, or an empty view.
std::string_view BearerToken(const std::string& header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() > kBearer.size() && header.compare(0, kBearer.size(), kBearer) == 0) {
    return std::string_view(header).substr(kBearer.size());
  }
  return {};
}

// Authorized checks the admin bearer token; on failure it writes the 401 and returns false.
bool Authorized(const AppContext& ctx, const Request& req, Response& res) {
  const std::string header = req.get_header_value("Authorization");
  const std::string_view presented = BearerToken(header);
  if (!presented.empty() && ctx.admin.Check(presented)) return true;
  res.set_header("WWW-Authenticate", "Bearer realm=\"seedwell-admin\"");
  WriteError(res, Error{ErrorCode::kUnauthenticated, "missing or invalid admin token"});
  return false;
}

// VendordataAuthorized accepts, on POST /v1/vendordata only, the admin token or the vendordata
// token (--vendordata-token-file/-hash), each as "Authorization: Bearer" or as "X-Auth-Token"
// (what keystoneauth's admin_token plugin, which Nova's vendordata client uses, sends). Each
// comparison is of hashes in constant time. On failure it writes the 401 and returns false.
bool VendordataAuthorized(const AppContext& ctx, const Request& req, Response& res) {
  const std::string authorization = req.get_header_value("Authorization");
  const std::string x_auth_token = req.get_header_value("X-Auth-Token");
  for (const std::string_view presented :
       {BearerToken(authorization), std::string_view(x_auth_token)}) {
    if (presented.empty()) continue;
    if (ctx.admin.Check(presented)) return true;
    if (ctx.vendordata != nullptr && ctx.vendordata->Check(presented)) return true;
  }
  res.set_header("WWW-Authenticate", "Bearer realm=\"seedwell-admin\"");
  WriteError(res, Error{ErrorCode::kUnauthenticated,
                        "missing or invalid token: send the vendordata or admin token as "
                        "X-Auth-Token or Authorization: Bearer"});
  return false;
}

}  // namespace

HttpServer::Handler Admin(AppContext& ctx, AdminHandler handler) {
  return [&ctx, handler = std::move(handler)](const Request& req, Response& res) {
    if (Authorized(ctx, req, res)) handler(ctx, req, res);
  };
}

namespace {

// InstanceJson renders |instance| with its EGD socket path.
nlohmann::json InstanceJson(const AppContext& ctx, const Instance& instance) {
  nlohmann::json out = InstanceToJson(instance);
  const auto socket = EgdSocketPath(ctx.egd_socket_dir, ctx.egd_node, instance);
  out["egd_socket"] = socket ? nlohmann::json(*socket) : nlohmann::json(nullptr);
  return out;
}

// Body returns the request body after the JSON content-type, size and syntax checks, or writes
// the error and returns nothing.
std::optional<std::string> JsonBody(const Request& req, Response& res) {
  auto parsed = ParseJsonBody(req, kAdminBodyLimit);
  if (!parsed) {
    WriteHttpError(res, parsed.error());
    return std::nullopt;
  }
  return req.body;
}

void CreateInstance(AppContext& ctx, const Request& req, Response& res) {
  auto body = JsonBody(req, res);
  if (!body) return;
  auto instance = InstanceFromCreateJson(*body);
  if (!instance) return WriteError(res, instance.error());
  auto created = ctx.registry.Create(std::move(*instance));
  if (!created) return WriteError(res, created.error());
  nlohmann::json out = InstanceJson(ctx, created->instance);
  out["token"] = created->token;
  spdlog::info("event=instance_created id={} project={}", created->instance.id,
               created->instance.project_id);
  WriteJson(res, 201, out);
}

void ListInstances(AppContext& ctx, const Request& req, Response& res) {
  ListQuery query;
  if (req.has_param("project_id")) query.project_id = req.get_param_value("project_id");
  if (req.has_param("state")) {
    auto state = ParseInstanceState(req.get_param_value("state"));
    if (!state) return WriteError(res, state.error());
    query.state = *state;
  }
  if (req.has_param("host")) {
    const std::string host = req.get_param_value("host");
    if (auto valid = CheckHost(host); !valid) {
      return WriteError(res, Error{ErrorCode::kInvalidArgument, valid.error().message});
    }
    query.host = host;
  }
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    const bool digits = !text.empty() && text.size() <= 4 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    const long limit = digits ? std::stol(text) : 0;
    if (limit < 1 || limit > static_cast<long>(kMaxListLimit)) {
      return WriteError(
          res, Error{ErrorCode::kInvalidArgument,
                     "limit must be an integer from 1 to " + std::to_string(kMaxListLimit)});
    }
    query.limit = static_cast<std::size_t>(limit);
  }
  if (req.has_param("cursor")) query.cursor = req.get_param_value("cursor");
  auto page = ctx.registry.List(query);
  if (!page) return WriteError(res, page.error());
  nlohmann::json out;
  out["instances"] = nlohmann::json::array();
  for (const auto& instance : page->instances)
    out["instances"].push_back(InstanceJson(ctx, instance));
  out["next_cursor"] =
      page->next_cursor.empty() ? nlohmann::json(nullptr) : nlohmann::json(page->next_cursor);
  WriteJson(res, 200, out);
}

void GetInstance(AppContext& ctx, const Request& req, Response& res) {
  auto instance = ctx.registry.Get(InstanceIdParam(req));
  if (!instance) return WriteError(res, instance.error());
  WriteJson(res, 200, InstanceJson(ctx, *instance));
}

void PatchInstance(AppContext& ctx, const Request& req, Response& res) {
  auto body = JsonBody(req, res);
  if (!body) return;
  auto patch = InstancePatchFromJson(*body);
  if (!patch) return WriteError(res, patch.error());
  auto instance = ctx.registry.Update(InstanceIdParam(req), *patch);
  if (!instance) return WriteError(res, instance.error());
  WriteJson(res, 200, InstanceJson(ctx, *instance));
}

void DeleteInstance(AppContext& ctx, const Request& req, Response& res) {
  const std::string id = InstanceIdParam(req);
  const std::string purge = req.get_param_value("purge");
  if (purge == "true" || purge == "1") {
    if (auto deleted = ctx.registry.Delete(id); !deleted) return WriteError(res, deleted.error());
    spdlog::info("event=instance_purged id={}", id);
    res.status = 204;
    return;
  }
  if (!purge.empty() && purge != "false" && purge != "0") {
    return WriteError(res, Error{ErrorCode::kInvalidArgument, "purge must be true or false"});
  }
  auto revoked = ctx.registry.Revoke(id);
  if (!revoked) return WriteError(res, revoked.error());
  spdlog::info("event=instance_revoked id={}", id);
  WriteJson(res, 200, InstanceJson(ctx, *revoked));
}

void RotateToken(AppContext& ctx, const Request& req, Response& res) {
  const std::string id = InstanceIdParam(req);
  auto token = ctx.registry.RotateToken(id);
  if (!token) return WriteError(res, token.error());
  spdlog::info("event=instance_token_rotated id={}", id);
  WriteJson(res, 200, {{"id", id}, {"token", *token}});
}

void GetUsage(AppContext& ctx, const Request& req, Response& res) {
  const std::string id = InstanceIdParam(req);
  auto usage = ctx.registry.Usage(id);
  if (!usage) return WriteError(res, usage.error());
  nlohmann::json out = {{"id", id},
                        {"bytes_issued", usage->bytes_issued},
                        {"bytes_by_transport", nlohmann::json::object()}};
  for (const auto& [transport, bytes] : usage->bytes_by_transport) {
    out["bytes_by_transport"][transport] = bytes;
  }
  out["last_seen_at"] = usage->last_seen_at_ms
                            ? nlohmann::json(FormatRfc3339(*usage->last_seen_at_ms))
                            : nlohmann::json(nullptr);
  WriteJson(res, 200, out);
}

void Vendordata(AppContext& ctx, const Request& req, Response& res) {
  auto body = JsonBody(req, res);
  if (!body) return;
  auto registered = ctx.registry.RegisterFromVendordata(*body, ctx.token_key.span());
  if (!registered) return WriteError(res, registered.error());
  const auto key = ctx.keys.ActiveKey();
  spdlog::info("event=vendordata id={} created={}", registered->instance.id, registered->created);
  WriteJson(res, 200,
            {{"service_url", ctx.public_url},
             {"instance_id", registered->instance.id},
             {"token", registered->token},
             {"key_id", key->kid()},
             {"public_key", ToBase64(key->public_key())}});
}

void ListKeys(AppContext& ctx, const Request& /*req*/, Response& res) {
  WriteJson(res, 200, KeysToJson(ctx.keys.PublicKeys()));
}

void RotateKeys(AppContext& ctx, const Request& /*req*/, Response& res) {
  auto kid = ctx.keys.Rotate();
  if (!kid) return WriteError(res, kid.error());
  spdlog::info("event=signing_key_rotated active_kid={}", *kid);
  WriteJson(res, 200, KeysToJson(ctx.keys.PublicKeys()));
}

void Status(AppContext& ctx, const Request& /*req*/, Response& res) {
  WriteJson(res, 200, StatusToJson(ctx));
}

void Metrics(AppContext& ctx, const Request& /*req*/, Response& res) {
  ctx.serve_metrics.Refresh(ctx);
  res.set_content(ctx.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void RegisterAdminRoutes(HttpServer& server, AppContext& ctx) {
  server.Post("/v1/instances", Admin(ctx, CreateInstance), kAdminBodyLimit);
  server.Get("/v1/instances", Admin(ctx, ListInstances));
  server.Get("/v1/instances/([^/]+)", Admin(ctx, GetInstance));
  server.Patch("/v1/instances/([^/]+)", Admin(ctx, PatchInstance), kAdminBodyLimit);
  server.Delete("/v1/instances/([^/]+)", Admin(ctx, DeleteInstance));
  server.Post("/v1/instances/([^/]+)/token", Admin(ctx, RotateToken));
  server.Get("/v1/instances/([^/]+)/usage", Admin(ctx, GetUsage));
  server.Post(
      "/v1/vendordata",
      [&ctx](const Request& req, Response& res) {
        if (VendordataAuthorized(ctx, req, res)) Vendordata(ctx, req, res);
      },
      kAdminBodyLimit);
  server.Get("/v1/keys", Admin(ctx, ListKeys));
  server.Post("/v1/keys/rotate", Admin(ctx, RotateKeys));
  server.Get("/v1/status", Admin(ctx, Status));
  server.Get("/metrics", Admin(ctx, Metrics));
}

}  // namespace seedwell

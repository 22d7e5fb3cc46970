// The orchestration REST API on the admin listener (JSON, under /v1): instances, tokens, usage,
// Nova dynamic vendordata, keys and status. openapi.yaml documents every route and schema.
#pragma once

#include <cstddef>
#include <functional>

#include "api/http/http_server.h"
#include "api/routes/app_context.h"

namespace seedwell {

// kAdminBodyLimit bounds the JSON body of every admin route (413 above it).
inline constexpr std::size_t kAdminBodyLimit = std::size_t{64} * 1024;

// AdminHandler is a route handler given the shared context.
using AdminHandler = std::function<void(AppContext&, const httplib::Request&, httplib::Response&)>;

// Admin wraps |handler| so that it runs only with the admin bearer token; otherwise it answers
// 401 with WWW-Authenticate. |ctx| must outlive the returned handler.
HttpServer::Handler Admin(AppContext& ctx, AdminHandler handler);

// RegisterAdminRoutes adds every /v1 admin route to |server|. Each route demands the admin bearer
// token (401 otherwise) before it reads anything else. |ctx| must outlive |server|.
void RegisterAdminRoutes(HttpServer& server, AppContext& ctx);

}  // namespace seedwell

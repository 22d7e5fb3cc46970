// Entropy-source administration on the admin listener: POST /v1/sources/{name}/reset brings a
// source disabled by a permanent health-test failure back (docs/security.md). openapi.yaml
// documents the route.
#pragma once

#include "api/http/http_server.h"
#include "api/routes/app_context.h"

namespace seedwell {

// RegisterSourceRoutes adds the source routes to |server|, each behind the admin bearer token
// (401 otherwise). |ctx| must outlive |server|.
void RegisterSourceRoutes(HttpServer& server, AppContext& ctx);

}  // namespace seedwell

// The orchestration REST API on the admin listener (JSON, under /v1): instances, tokens, usage,
// Nova dynamic vendordata, keys and status. openapi.yaml documents every route and schema.
#pragma once

#include <cstddef>

#include "api/app_context.h"
#include "api/http_server.h"

namespace seedwell {

// kAdminBodyLimit bounds the JSON body of every admin route (413 above it).
inline constexpr std::size_t kAdminBodyLimit = std::size_t{64} * 1024;

// RegisterAdminRoutes adds every /v1 admin route to |server|. Each route demands the admin bearer
// token (401 otherwise) before it reads anything else. |ctx| must outlive |server|.
void RegisterAdminRoutes(HttpServer& server, AppContext& ctx);

}  // namespace seedwell

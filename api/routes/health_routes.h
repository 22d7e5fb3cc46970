// /healthz and /readyz, served on both listeners without authentication.
#pragma once

#include "api/http/http_server.h"
#include "api/routes/app_context.h"

namespace seedwell {

// RegisterHealthRoutes adds /healthz (200 while the process runs) and /readyz (200 when the DRBG
// is seeded and not failed closed, the store answers and a signing key is loaded; 503 naming the
// failed check otherwise) to |server|. |ctx| must outlive |server|.
void RegisterHealthRoutes(HttpServer& server, AppContext& ctx);

}  // namespace seedwell

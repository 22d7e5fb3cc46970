// The admin route that builds an instance's config drive: POST /v1/instances/{id}/config-drive
// answers the ISO 9660 image (application/x-iso9660-image). openapi.yaml documents the optional
// JSON body and every error; docs/config-drive.md the drive's layout.
#pragma once

#include <cstddef>

#include "api/http/http_server.h"
#include "api/routes/app_context.h"

namespace seedwell {

// kConfigDriveBodyLimit bounds the request body: user data (64 KiB before base64) and the
// vendor and network documents.
inline constexpr std::size_t kConfigDriveBodyLimit = std::size_t{256} * 1024;

// RegisterConfigDriveRoutes adds the route to the admin |server|; like every admin route it
// demands the admin bearer token first. |ctx| must outlive |server|.
void RegisterConfigDriveRoutes(HttpServer& server, AppContext& ctx);

}  // namespace seedwell

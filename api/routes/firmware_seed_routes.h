// The admin route that hands out an instance's signed seed for the firmware path:
// POST /v1/instances/{id}/smbios-seed answers JSON with the seed file as a systemd credential
// (SMBIOS type 11 OEM string and fw_cfg forms), the exact QEMU arguments and the libvirt XML
// (service/config_drive/firmware_credential.h). openapi.yaml documents the body and every error;
// docs/firmware-seed.md the whole path.
#pragma once

#include "api/http/http_server.h"
#include "api/routes/app_context.h"

namespace seedwell {

// RegisterFirmwareSeedRoutes adds the route to the admin |server|; like every admin route it
// demands the admin bearer token first. |ctx| must outlive |server|.
void RegisterFirmwareSeedRoutes(HttpServer& server, AppContext& ctx);

}  // namespace seedwell

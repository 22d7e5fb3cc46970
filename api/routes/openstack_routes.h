// OpenStack metadata on the guest listener, as Nova serves it to cloud-init:
//   GET /openstack                       versions, one a line, then "latest" (no identity needed)
//   GET /openstack/<version>             the files of that version, one a line
//   GET /openstack/<version>/meta_data.json      the instance's document with a fresh 512-byte
//                                        random_seed on every GET (drawn through the Dispenser)
//   GET /openstack/<version>/vendor_data.json, vendor_data2.json, network_data.json   minimal
// Unknown versions and files are 404 (cloud-init treats 404 for optional files as absent).
#pragma once

#include "api/http/http_server.h"
#include "api/routes/guest_api.h"

namespace seedwell {

// RegisterOpenStackRoutes adds the routes above to |server|; |api| must outlive it.
void RegisterOpenStackRoutes(HttpServer& server, GuestApi& api);

}  // namespace seedwell

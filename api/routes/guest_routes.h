// Guest routes: everything a VM may ask the guest listener for. Every route needs an identity
// (guest_api.h) except the public ones (/v1/keys, the /openstack version listing). Only GET (and
// POST where stated) are registered, so HEAD and other methods get 405 and never draw entropy;
// admin routes are never registered here.
//   GET|POST /v1/entropy        native API: one signed (and, for instances with a sealing key,
//                               sealed) block; JSON or application/octet-stream
//   GET  /v1/keys               the signing keys, for verifiers without admin access
//   GET  /openstack[/...]       OpenStack metadata (openstack_routes.h)
//   GET|POST /                  pollen protocol (pollen_routes.h)
#pragma once

#include "api/http/http_server.h"
#include "api/routes/guest_api.h"

namespace seedwell {

// kGuestBodyLimit bounds a guest request body (a form with bytes, nonce, recipient, challenge).
inline constexpr std::size_t kGuestBodyLimit = 1024;

// RegisterGuestRoutes adds the routes above to |server|; |api| must outlive it.
void RegisterGuestRoutes(HttpServer& server, GuestApi& api);

}  // namespace seedwell

// pollen protocol (Ubuntu's entropy service, the `pollinate` client) on the guest listener:
//   POST /  with the form body challenge=<text>, or GET /?challenge=<text>
// answers text/plain: line 1 the hex SHA-512 of the challenge text, line 2 the hex of 64 fresh
// bytes drawn for the caller through the Dispenser (258 bytes in all). A missing, repeated or
// oversize challenge is 400. Identity and rate limits apply as on every guest route; pollinate
// passes a token with `-c "--oauth2-bearer swi_..."`.
#pragma once

#include "api/http/http_server.h"
#include "api/routes/guest_api.h"

namespace seedwell {

// RegisterPollenRoutes adds the routes above to |server|; |api| must outlive it.
void RegisterPollenRoutes(HttpServer& server, GuestApi& api);

}  // namespace seedwell

#include "api/routes/guest_routes.h"

#include <array>
#include <string_view>

#include "api/http/json_error.h"
#include "api/http/media_negotiation.h"
#include "api/routes/block_response.h"
#include "api/routes/guest_params.h"
#include "api/routes/openstack_routes.h"
#include "api/routes/pollen_routes.h"
#include "api/routes/status_json.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

// kBlockMediaTypes are the forms of a block, the server's preference first.
constexpr std::array<std::string_view, 2> kBlockMediaTypes = {"application/json",
                                                              "application/octet-stream"};

void Entropy(GuestApi& api, const Request& req, Response& res) {
  const auto format = NegotiateMediaType(req.get_header_value("Accept"), kBlockMediaTypes);
  if (!format) {
    return WriteHttpError(res, HttpError{406, "not_acceptable",
                                         "Accept application/json or application/octet-stream"});
  }
  auto params = ParseEntropyParams(req.params, api.max_bytes());
  if (!params) return WriteGuestError(res, params.error());
  auto who = api.Identify(req, res);
  if (!who) return;
  IssueRequest request;
  request.bytes = params->bytes;
  request.nonce = params->nonce;
  request.recipient = params->recipient;
  std::chrono::milliseconds retry_after{0};
  auto block = api.issuer().Issue(who->instance, request, &retry_after);
  if (!block) return WriteGuestError(res, block.error(), retry_after);
  res.set_header("Cache-Control", "no-store");
  if (*format == 0) return WriteJsonBlock(*block, res);
  WriteOctetBlock(*block, res);
}

}  // namespace

void RegisterGuestRoutes(HttpServer& server, GuestApi& api) {
  auto entropy = [&api](const Request& req, Response& res) { Entropy(api, req, res); };
  server.Get("/v1/entropy", entropy);
  server.Post("/v1/entropy", entropy, kGuestBodyLimit);
  server.Get("/v1/keys", [&api](const Request&, Response& res) {
    WriteJson(res, 200, KeysToJson(api.ctx().keys.PublicKeys()));
  });
  RegisterOpenStackRoutes(server, api);
  RegisterPollenRoutes(server, api);
}

}  // namespace seedwell

#include "api/routes/guest_routes.h"

#include <array>
#include <memory>
#include <optional>
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

using LoopOutcome = HttpServer::LoopOutcome;

// EntropyRequest is a checked /v1/entropy request: the form to answer in and what to issue.
struct EntropyRequest {
  std::size_t format = 0;  // index into kBlockMediaTypes
  EntropyParams params;

  // Issue returns the Issuer's request (it views params' nonce: valid while this lives).
  IssueRequest Issue() const {
    IssueRequest issue;
    issue.bytes = params.bytes;
    issue.nonce = params.nonce;
    issue.recipient = params.recipient;
    return issue;
  }
};

// ParseEntropy checks a request's Accept header and parameters, or writes the error to |res|.
std::optional<EntropyRequest> ParseEntropy(GuestApi& api, std::string_view accept,
                                           const httplib::Params& params, Response& res) {
  const auto format = NegotiateMediaType(accept, kBlockMediaTypes);
  if (!format) {
    WriteHttpError(res, HttpError{406, "not_acceptable",
                                  "Accept application/json or application/octet-stream"});
    return std::nullopt;
  }
  auto parsed = ParseEntropyParams(params, api.max_bytes());
  if (!parsed) {
    WriteGuestError(res, parsed.error());
    return std::nullopt;
  }
  return EntropyRequest{*format, std::move(*parsed)};
}

void WriteBlock(const IssuedBlock& block, std::size_t format, Response& res) {
  res.set_header("Cache-Control", "no-store");
  if (format == 0) return WriteJsonBlock(block, res);
  WriteOctetBlock(block, res);
}

void Entropy(GuestApi& api, const Request& req, Response& res) {
  auto request = ParseEntropy(api, req.get_header_value("Accept"), req.params, res);
  if (!request) return;
  auto who = api.Identify(req, res);
  if (!who) return;
  std::chrono::milliseconds retry_after{0};
  auto block = api.issuer().Issue(*who->instance, request->Issue(), &retry_after);
  if (!block) return WriteGuestError(res, block.error(), retry_after);
  WriteBlock(*block, request->format, res);
}

// EntropyOnLoop is Entropy on the event loop: identity from memory (else a worker serves it), the
// block's leaf in the loop iteration's Merkle batch, the response finished once that is signed.
LoopOutcome EntropyOnLoop(GuestApi& api, const LoopRequest& req, Response& res,
                          HttpServer::Finisher& finish) {
  auto request = ParseEntropy(api, req.Header("Accept"), req.params, res);
  if (!request) return LoopOutcome::kAnswered;
  GuestIdentity who;
  switch (api.IdentifyOnLoop(req, res, who)) {
    case GuestApi::LoopIdentity::kNeedsStore:
      return LoopOutcome::kToWorker;
    case GuestApi::LoopIdentity::kRefused:
      return LoopOutcome::kAnswered;
    case GuestApi::LoopIdentity::kIdentified:
      break;
  }
  std::chrono::milliseconds retry_after{0};
  auto pending = api.issuer().IssueOnLoop(*who.instance, request->Issue(), &retry_after,
                                          api.loop_signer(req.loop));
  if (!pending) {
    WriteGuestError(res, pending.error(), retry_after);
    return LoopOutcome::kAnswered;
  }
  // std::function needs a copyable callable; the block (wiped memory) is moved in once.
  finish = [block = std::make_shared<PendingBlock>(std::move(*pending)),
            format = request->format](Response& out) {
    if (auto signed_block = block->Finish(); !signed_block) {
      return WriteGuestError(out, signed_block.error());
    }
    WriteBlock(block->block, format, out);
  };
  return LoopOutcome::kAnswered;
}

}  // namespace

void RegisterGuestRoutes(HttpServer& server, GuestApi& api) {
  api.UseEventLoops(server.event_loops());
  auto entropy = [&api](const Request& req, Response& res) { Entropy(api, req, res); };
  server.Get("/v1/entropy", entropy);
  server.Post("/v1/entropy", entropy, kGuestBodyLimit);
  server.ServeOnLoop("/v1/entropy",
                     [&api](const LoopRequest& req, Response& res, HttpServer::Finisher& finish) {
                       return EntropyOnLoop(api, req, res, finish);
                     });
  server.Get("/v1/keys", [&api](const Request&, Response& res) {
    WriteJson(res, 200, KeysToJson(api.ctx().keys.PublicKeys()));
  });
  RegisterOpenStackRoutes(server, api);
  RegisterPollenRoutes(server, api);
}

}  // namespace seedwell

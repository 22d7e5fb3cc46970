#include "api/routes/pollen_routes.h"

#include <sodium.h>

#include <array>
#include <string>

#include "api/http/json_error.h"
#include "api/routes/guest_params.h"
#include "crypto/encoding.h"
#include "crypto/secret_buffer.h"

namespace seedwell {
namespace {

// Reply answers |challenge| for |who|: SHA-512 of the challenge, then 64 fresh bytes, as hex lines.
void Reply(GuestApi& api, const GuestIdentity& who, std::string_view challenge,
           httplib::Response& res) {
  SecretArray<64> seed;
  std::chrono::milliseconds retry_after{0};
  if (auto drawn = api.ctx().dispenser.Draw(*who.instance, seed.span(), UsageTransport::kPollen,
                                            &retry_after);
      !drawn) {
    return WriteGuestError(res, drawn.error(), retry_after);
  }
  std::array<std::uint8_t, crypto_hash_sha512_BYTES> digest{};
  crypto_hash_sha512(digest.data(), reinterpret_cast<const unsigned char*>(challenge.data()),
                     challenge.size());
  std::string body = ToHex(digest);
  body += '\n';
  body += ToHex(seed.span());
  body += '\n';
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "text/plain; charset=utf-8");
}

void Pollen(GuestApi& api, const httplib::Request& req, httplib::Response& res) {
  const auto challenge = ParsePollenChallenge(req.params);
  if (!challenge) return WriteGuestError(res, challenge.error());
  auto identity = api.Identify(req, res);
  if (!identity) return;
  Reply(api, *identity, *challenge, res);
}

// PollenOnLoop is Pollen on the event loop, with identity from memory (else a worker serves it).
HttpServer::LoopOutcome PollenOnLoop(GuestApi& api, const LoopRequest& req,
                                     httplib::Response& res) {
  const auto challenge = ParsePollenChallenge(req.params);
  if (!challenge) {
    WriteGuestError(res, challenge.error());
    return HttpServer::LoopOutcome::kAnswered;
  }
  GuestIdentity who;
  switch (api.IdentifyOnLoop(req, res, who)) {
    case GuestApi::LoopIdentity::kNeedsStore:
      return HttpServer::LoopOutcome::kToWorker;
    case GuestApi::LoopIdentity::kRefused:
      return HttpServer::LoopOutcome::kAnswered;
    case GuestApi::LoopIdentity::kIdentified:
      break;
  }
  Reply(api, who, *challenge, res);
  return HttpServer::LoopOutcome::kAnswered;
}

}  // namespace

void RegisterPollenRoutes(HttpServer& server, GuestApi& api) {
  auto handler = [&api](const httplib::Request& req, httplib::Response& res) {
    Pollen(api, req, res);
  };
  server.Get("/", handler);
  server.Post("/", handler, kMaxChallengeBytes + 64);
  server.ServeOnLoop("/", [&api](const LoopRequest& req, httplib::Response& res,
                                 HttpServer::Finisher&) { return PollenOnLoop(api, req, res); });
}

}  // namespace seedwell

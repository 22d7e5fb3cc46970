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

void Pollen(GuestApi& api, const httplib::Request& req, httplib::Response& res) {
  const auto challenge = ParsePollenChallenge(req.params);
  if (!challenge) return WriteGuestError(res, challenge.error());
  auto identity = api.Identify(req, res);
  if (!identity) return;
  SecretArray<64> seed;
  std::chrono::milliseconds retry_after{0};
  if (auto drawn = api.ctx().dispenser.Draw(identity->instance, seed.span(),
                                            UsageTransport::kPollen, &retry_after);
      !drawn) {
    return WriteGuestError(res, drawn.error(), retry_after);
  }
  std::array<std::uint8_t, crypto_hash_sha512_BYTES> digest{};
  crypto_hash_sha512(digest.data(), reinterpret_cast<const unsigned char*>(challenge->data()),
                     challenge->size());
  std::string body = ToHex(digest);
  body += '\n';
  body += ToHex(seed.span());
  body += '\n';
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "text/plain; charset=utf-8");
}

}  // namespace

void RegisterPollenRoutes(HttpServer& server, GuestApi& api) {
  auto handler = [&api](const httplib::Request& req, httplib::Response& res) {
    Pollen(api, req, res);
  };
  server.Get("/", handler);
  server.Post("/", handler, kMaxChallengeBytes + 64);
}

}  // namespace seedwell

// libFuzzer target: the guest routes' untrusted parameters (api/routes/guest_params.h) and the
// Accept negotiation (api/http/media_negotiation.h). The first byte picks the parser; the rest is
// a query string ("k=v&k=v", split like a form) or an Accept header. Properties, beyond not
// crashing: an accepted request is within every bound, and a negotiated offer exists.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/http/media_negotiation.h"
#include "api/routes/guest_params.h"

namespace {

seedwell::GuestParams SplitQuery(std::string_view text) {
  seedwell::GuestParams params;
  while (!text.empty() && params.size() < 64) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    params.emplace(std::string(pair.substr(0, eq)),
                   eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
  }
  return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      constexpr std::size_t kMax = 4096;
      auto p = seedwell::ParseEntropyParams(SplitQuery(input), kMax);
      if (p && (p->bytes == 0 || p->bytes > kMax || p->nonce.size() > 64)) std::abort();
      break;
    }
    case 1: {
      auto c = seedwell::ParsePollenChallenge(SplitQuery(input));
      if (c && (c->empty() || c->size() > seedwell::kMaxChallengeBytes)) std::abort();
      break;
    }
    default: {
      constexpr std::array<std::string_view, 2> kOffers = {"application/json",
                                                           "application/octet-stream"};
      auto chosen = seedwell::NegotiateMediaType(input, kOffers);
      if (chosen && *chosen >= kOffers.size()) std::abort();
      break;
    }
  }
  return 0;
}

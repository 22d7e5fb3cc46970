#include "api/routes/guest_params.h"

#include <charconv>

#include "crypto/encoding.h"
#include "service/issuer.h"

namespace seedwell {
namespace {

// SingleParam returns the one value of |name|: nothing if absent; kInvalidArgument if repeated.
Result<std::optional<std::string_view>> SingleParam(const GuestParams& params,
                                                    std::string_view name) {
  const auto [first, last] = params.equal_range(std::string(name));
  if (first == last) return std::optional<std::string_view>();
  if (std::next(first) != last) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " given twice");
  }
  return std::optional<std::string_view>(first->second);
}

}  // namespace

Result<EntropyParams> ParseEntropyParams(const GuestParams& params, std::size_t max_bytes) {
  for (const auto& [key, value] : params) {
    if (key != "bytes" && key != "nonce" && key != "recipient") {
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown parameter (known: bytes, nonce, recipient)");
    }
  }
  EntropyParams out;
  auto bytes = SingleParam(params, "bytes");
  SEEDWELL_RETURN_IF_ERROR(bytes);
  if (*bytes) {
    const std::string_view text = **bytes;
    std::size_t n = 0;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), n);
    const bool digits = !text.empty() && text.size() <= 6 && text.front() != '+' &&
                        parsed.ec == std::errc{} && parsed.ptr == text.data() + text.size();
    if (!digits || n == 0 || n > max_bytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  "bytes must be an integer from 1 to " + std::to_string(max_bytes));
    }
    out.bytes = n;
  }
  auto nonce = SingleParam(params, "nonce");
  SEEDWELL_RETURN_IF_ERROR(nonce);
  if (*nonce) {
    auto decoded = FromHex(**nonce);
    if (!decoded || decoded->empty() || decoded->size() > kMaxNonceBytes) {
      return Fail(ErrorCode::kInvalidArgument, "nonce must be 1 to 64 bytes in hex");
    }
    out.nonce = std::move(*decoded);
  }
  auto recipient = SingleParam(params, "recipient");
  SEEDWELL_RETURN_IF_ERROR(recipient);
  if (*recipient) {
    auto key = ParseX25519PublicKey(**recipient);
    if (!key) return Fail(ErrorCode::kInvalidArgument, "recipient must be a base64 X25519 key");
    out.recipient = *key;
  }
  return out;
}

Result<std::string_view> ParsePollenChallenge(const GuestParams& params) {
  auto challenge = SingleParam(params, "challenge");
  if (!challenge || !*challenge) {
    return Fail(ErrorCode::kInvalidArgument,
                "send exactly one challenge (use the pollinate client)");
  }
  const std::string_view text = **challenge;
  if (text.empty() || text.size() > kMaxChallengeBytes) {
    return Fail(ErrorCode::kInvalidArgument, "challenge must be 1 to 512 bytes");
  }
  return text;
}

}  // namespace seedwell

// Guest request parameters: the untrusted query and form parameters of the guest routes, parsed by
// plain functions (unit-tested and fuzzed: fuzz/guest_params_fuzz.cpp) before a handler acts on
// them. Every bound is checked here; nothing is trusted about count, size or content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/sealed_box.h"

namespace seedwell {

// GuestParams is a parsed query or form: name -> value, names may repeat (httplib::Params).
using GuestParams = std::multimap<std::string, std::string>;

// kMaxChallengeBytes bounds the pollen challenge (pollinate sends 128 hex characters).
inline constexpr std::size_t kMaxChallengeBytes = 512;

// EntropyParams are the parameters of GET/POST /v1/entropy.
struct EntropyParams {
  std::size_t bytes = 64;                    // 1..max_bytes
  std::vector<std::uint8_t> nonce;           // 0..kMaxNonceBytes; empty: the server picks one
  std::optional<X25519PublicKey> recipient;  // a sealing key the guest names
};

// ParseEntropyParams reads bytes (decimal, 1..|max_bytes|), nonce (hex, 1..64 bytes) and recipient
// (base64 X25519 key), each at most once. kInvalidArgument, naming the parameter, for an unknown
// or repeated parameter or a value out of range.
Result<EntropyParams> ParseEntropyParams(const GuestParams& params, std::size_t max_bytes);

// ParsePollenChallenge returns the one `challenge` parameter of a pollen request (1 to
// kMaxChallengeBytes bytes, any content: it is only hashed). kInvalidArgument when it is absent,
// repeated, empty or too long.
Result<std::string_view> ParsePollenChallenge(const GuestParams& params);

}  // namespace seedwell

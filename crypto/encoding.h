// Encoding: hex, base64 and base64url for public values (keys, signatures, hashes, sealed boxes).
//
// Theory of operation: thin wrappers over libsodium's sodium_bin2hex, sodium_bin2base64 and their
// decoders, which run in time independent of the byte values (so they are also safe for secrets,
// through the *Into variants that decode into caller-owned memory). Decoders are strict: no
// whitespace, no trailing garbage; base64 requires '=' padding, base64url forbids it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"

namespace seedwell {

// ToHex returns the lowercase hex encoding of |bytes|.
std::string ToHex(std::span<const std::uint8_t> bytes);

// ToBase64 returns the standard base64 encoding (RFC 4648 section 4, with '=' padding) of |bytes|.
std::string ToBase64(std::span<const std::uint8_t> bytes);

// AppendHex and AppendBase64 append ToHex's and ToBase64's encodings of |bytes| to |out|, with no
// temporary string: for a block's data, the only copy of its encoding is the one in |out| (which
// the caller should have reserved, so that growing it leaves no copy behind in freed memory).
void AppendHex(std::string& out, std::span<const std::uint8_t> bytes);
void AppendBase64(std::string& out, std::span<const std::uint8_t> bytes);

// ToBase64Url returns the URL-safe base64 encoding (RFC 4648 section 5) of |bytes|, unpadded.
std::string ToBase64Url(std::span<const std::uint8_t> bytes);

// FromHex decodes |text| (either case). It fails with kInvalidArgument on an odd length or a
// non-hex character.
Result<std::vector<std::uint8_t>> FromHex(std::string_view text);

// FromBase64 decodes padded standard base64. It fails with kInvalidArgument on malformed input.
Result<std::vector<std::uint8_t>> FromBase64(std::string_view text);

// FromBase64Url decodes unpadded URL-safe base64. It fails with kInvalidArgument on malformed
// input.
Result<std::vector<std::uint8_t>> FromBase64Url(std::string_view text);

// FromHexInto decodes |text| into exactly |out| (for secrets: nothing is copied elsewhere). It
// fails with kInvalidArgument unless |text| is well-formed and decodes to exactly |out|.size()
// bytes; |out| is then wiped.
Result<void> FromHexInto(std::string_view text, std::span<std::uint8_t> out);

// FromBase64Into decodes padded standard base64 |text| into exactly |out|, like FromHexInto.
Result<void> FromBase64Into(std::string_view text, std::span<std::uint8_t> out);

}  // namespace seedwell

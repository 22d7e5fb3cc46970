// Credentials: instance and admin bearer tokens, and the Neutron metadata proxy's signature.
//
// Token format (after GitHub's tokens, so secret scanners can find leaks with few false
// positives): a kind prefix, the body, then a checksum, 53 ASCII characters in all:
//   "swi_" (instance), "swa_" (admin) or "swv_" (Nova's vendordata caller)
//   + base64url without padding of 32 random bytes (43 characters)
//   + base64url without padding of the big-endian CRC-32 (zlib's) of the prefix and body (6).
// Regex: `sw[iav]_[A-Za-z0-9_-]{49}`. The checksum only rejects typos and scanner false positives;
// it is no security measure.
//
// Only TokenHash = SHA-256(token text) is stored. Tokens carry 256 bits of entropy, so a fast
// hash suffices: no slow KDF is needed, as there is nothing to brute-force. An operator can
// compute an admin token's hash with `printf %s "$TOKEN" | sha256sum`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

inline constexpr std::size_t kTokenRandomBytes = 32;
inline constexpr std::size_t kTokenLength = 4 + 43 + 6;
inline constexpr std::size_t kTokenKeyBytes = 32;

// TokenHash is SHA-256 of a token's text. It is not secret, but compare it in constant time.
using TokenHash = std::array<std::uint8_t, 32>;

// TokenKind says whom a token identifies; it selects the prefix.
enum class TokenKind { kInstance, kAdmin, kVendordata };

// Token is a bearer token held in a self-wiping SecretArray (inline, not mlocked: tokens are
// short-lived and handled per request, where a sodium_malloc per call would cost too much).
class Token {
 public:
  // Generate makes a fresh token of |kind| from libsodium's CSPRNG.
  static Token Generate(TokenKind kind);

  // Derive makes the token of |kind| whose body is HMAC-SHA256(|key|, |context|): the same key
  // and context always give the same token, and without the key it is as unpredictable as a
  // generated one. Registry uses it to hand Nova the same instance token on every call.
  static Token Derive(TokenKind kind, std::span<const std::uint8_t, kTokenKeyBytes> key,
                      std::string_view context);

  // Parse checks |text| is a well-formed token of |kind| (prefix, length, alphabet, checksum) and
  // copies it. Any failure is kUnauthenticated, with a message that does not echo the input.
  static Result<Token> Parse(std::string_view text, TokenKind kind);

  TokenKind kind() const { return kind_; }

  // Hash returns SHA-256 of the token text, the only form that is ever stored.
  TokenHash Hash() const;

  // Reveal returns the token text for the one response that shows it to its owner. Use it only
  // at the API boundary; the returned string is the caller's to deliver and drop.
  std::string Reveal() const;

 private:
  explicit Token(TokenKind kind) : kind_(kind) {}
  static Token FromSecretBytes(TokenKind kind, const SecretArray<kTokenRandomBytes>& secret);
  TokenKind kind_;
  SecretArray<kTokenLength> text_;
};

// TokenHashToHex returns the lowercase hex of |hash| (64 characters).
std::string TokenHashToHex(const TokenHash& hash);

// TokenHashFromHex parses 64 hex digits; anything else is kInvalidArgument.
Result<TokenHash> TokenHashFromHex(std::string_view hex);

// AdminCredential checks an operator-configured bearer token of one kind against one configured
// hash: the admin token (kAdmin), or the token Nova's vendordata client sends (kVendordata), which
// opens POST /v1/vendordata and nothing else.
class AdminCredential {
 public:
  // FromHashHex configures the hash as hex (e.g. from sha256sum); throws std::invalid_argument if
  // malformed (a start-up error).
  static AdminCredential FromHashHex(std::string_view hex, TokenKind kind = TokenKind::kAdmin);

  // FromTokenFile reads a token of |kind| from the file at |path| (trailing whitespace ignored)
  // and keeps only its hash; throws std::runtime_error if the file cannot be read or holds no
  // valid token of that kind. The token bytes are wiped before it returns.
  static AdminCredential FromTokenFile(const std::string& path, TokenKind kind = TokenKind::kAdmin);

  // Check returns success if |presented| is the configured token, else kUnauthenticated. The
  // hash comparison is constant-time.
  Result<void> Check(std::string_view presented) const;

 private:
  AdminCredential(const TokenHash& hash, TokenKind kind) : hash_(hash), kind_(kind) {}
  TokenHash hash_;
  TokenKind kind_;
};

// ComputeInstanceIdSignature returns the lowercase hex HMAC-SHA256 of |instance_id| keyed with
// |secret|, as the Neutron metadata agent sends it in X-Instance-ID-Signature.
std::string ComputeInstanceIdSignature(std::span<const std::uint8_t> secret,
                                       std::string_view instance_id);

// VerifyInstanceIdSignature reports whether |hex_signature| is that signature (64 lowercase hex
// digits, compared in constant time). An empty |secret| never verifies.
bool VerifyInstanceIdSignature(std::span<const std::uint8_t> secret, std::string_view instance_id,
                               std::string_view hex_signature);

}  // namespace seedwell

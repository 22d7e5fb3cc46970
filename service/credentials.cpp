#include "service/credentials.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

namespace seedwell {
namespace {

constexpr std::size_t kPrefixLength = 4;
constexpr std::size_t kBodyLength = 43;
constexpr std::size_t kChecksumLength = 6;
constexpr std::size_t kMaxTokenFileBytes = 256;
constexpr std::size_t kHashHexLength = 2 * sizeof(TokenHash);
constexpr std::size_t kMacHexLength = std::size_t{2} * crypto_auth_hmacsha256_BYTES;

std::string_view Prefix(TokenKind kind) {
  switch (kind) {
    case TokenKind::kAdmin:
      return "swa_";
    case TokenKind::kVendordata:
      return "swv_";
    case TokenKind::kInstance:
      break;
  }
  return "swi_";
}

std::string_view KindName(TokenKind kind) {
  return kind == TokenKind::kVendordata ? "vendordata" : "admin";
}

// kCrcTable is the byte-at-a-time table of zlib's CRC-32 (IEEE 802.3, reflected, polynomial
// 0xEDB88320), built at compile time: every guest request's token is checked, so the 8x of a
// table over the bit-by-bit loop is worth its 1 KiB.
constexpr std::array<std::uint32_t, 256> kCrcTable = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
    table[n] = c;
  }
  return table;
}();

// Crc32 is zlib's crc32() of |bytes|.
std::uint32_t Crc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0xFFFFFFFFU;
  for (const std::uint8_t byte : bytes) crc = (crc >> 8) ^ kCrcTable[(crc ^ byte) & 0xFFU];
  return ~crc;
}

// WriteChecksum writes the 6-character checksum of the first 47 bytes of |text| after them.
void WriteChecksum(SecretArray<kTokenLength>& text) {
  const std::uint32_t crc = Crc32({text.data(), kPrefixLength + kBodyLength});
  const std::array<std::uint8_t, 4> crc_bytes = {
      static_cast<std::uint8_t>(crc >> 24), static_cast<std::uint8_t>(crc >> 16),
      static_cast<std::uint8_t>(crc >> 8), static_cast<std::uint8_t>(crc)};
  std::array<char, kChecksumLength + 1> encoded{};
  sodium_bin2base64(encoded.data(), encoded.size(), crc_bytes.data(), crc_bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::memcpy(text.data() + kPrefixLength + kBodyLength, encoded.data(), kChecksumLength);
}

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

Token Token::Generate(TokenKind kind) {
  EnsureSodium();
  SecretArray<kTokenRandomBytes> random;
  randombytes_buf(random.data(), random.size());
  return FromSecretBytes(kind, random);
}

Token Token::Derive(TokenKind kind, std::span<const std::uint8_t, kTokenKeyBytes> key,
                    std::string_view context) {
  EnsureSodium();
  SecretArray<kTokenRandomBytes> mac;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(context.data()),
                                context.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);  // the state holds the keyed pads
  return FromSecretBytes(kind, mac);
}

Token Token::FromSecretBytes(TokenKind kind, const SecretArray<kTokenRandomBytes>& secret) {
  Token token(kind);
  SecretArray<kBodyLength + 1> body;  // sodium_bin2base64 writes a terminating NUL
  sodium_bin2base64(reinterpret_cast<char*>(body.data()), body.size(), secret.data(), secret.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::memcpy(token.text_.data(), Prefix(kind).data(), kPrefixLength);
  std::memcpy(token.text_.data() + kPrefixLength, body.data(), kBodyLength);
  WriteChecksum(token.text_);
  return token;  // |body| wipes itself here.
}

Result<Token> Token::Parse(std::string_view text, TokenKind kind) {
  const auto bad = [] { return Fail(ErrorCode::kUnauthenticated, "malformed token"); };
  if (text.size() != kTokenLength || text.substr(0, kPrefixLength) != Prefix(kind)) return bad();
  if (!std::all_of(text.begin() + kPrefixLength, text.end(), IsBase64UrlChar)) return bad();
  Token token(kind);
  std::memcpy(token.text_.data(), text.data(), kTokenLength);
  SecretArray<kChecksumLength> presented_checksum;
  std::memcpy(presented_checksum.data(), token.text_.data() + kPrefixLength + kBodyLength,
              kChecksumLength);
  WriteChecksum(token.text_);
  if (!ConstantTimeEquals(presented_checksum.span(),
                          {token.text_.data() + kPrefixLength + kBodyLength, kChecksumLength})) {
    return bad();
  }
  return token;
}

TokenHash Token::Hash() const {
  TokenHash hash{};
  crypto_hash_sha256(hash.data(), text_.data(), text_.size());
  return hash;
}

std::string Token::Reveal() const {
  return {reinterpret_cast<const char*>(text_.data()), text_.size()};
}

std::string TokenHashToHex(const TokenHash& hash) {
  std::array<char, kHashHexLength + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
  return {hex.data(), kHashHexLength};
}

Result<TokenHash> TokenHashFromHex(std::string_view hex) {
  TokenHash hash{};
  std::size_t length = 0;
  if (hex.size() != kHashHexLength ||
      sodium_hex2bin(hash.data(), hash.size(), hex.data(), hex.size(), nullptr, &length, nullptr) !=
          0 ||
      length != hash.size()) {
    return Fail(ErrorCode::kInvalidArgument, "token hash: not 64 hex digits");
  }
  return hash;
}

AdminCredential AdminCredential::FromHashHex(std::string_view hex, TokenKind kind) {
  auto hash = TokenHashFromHex(hex);
  if (!hash) {
    throw std::invalid_argument(std::string(KindName(kind)) +
                                " token hash: " + hash.error().message);
  }
  return AdminCredential(*hash, kind);
}

AdminCredential AdminCredential::FromTokenFile(const std::string& path, TokenKind kind) {
  const std::string what = std::string(KindName(kind)) + " token file " + path;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(what + ": cannot open");
  SecretArray<kMaxTokenFileBytes> buffer;
  std::size_t length = 0;
  while (length < buffer.size()) {
    const ssize_t n = read(fd, buffer.data() + length, buffer.size() - length);
    if (n < 0) {
      close(fd);
      throw std::runtime_error(what + ": read failed");
    }
    if (n == 0) break;
    length += static_cast<std::size_t>(n);
  }
  close(fd);
  while (length > 0 && std::strchr(" \t\r\n", buffer[length - 1]) != nullptr) --length;
  auto token = Token::Parse({reinterpret_cast<const char*>(buffer.data()), length}, kind);
  if (!token) {
    throw std::runtime_error(what + ": no valid " + std::string(Prefix(kind)) + " token");
  }
  return AdminCredential(token->Hash(), kind);
}

Result<void> AdminCredential::Check(std::string_view presented) const {
  auto token = Token::Parse(presented, kind_);
  SEEDWELL_RETURN_IF_ERROR(token);
  if (!ConstantTimeEquals(token->Hash(), hash_)) {
    return Fail(ErrorCode::kUnauthenticated, "unknown " + std::string(KindName(kind_)) + " token");
  }
  return {};
}

std::string ComputeInstanceIdSignature(std::span<const std::uint8_t> secret,
                                       std::string_view instance_id) {
  EnsureSodium();
  crypto_auth_hmacsha256_state state;
  std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, secret.data(), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(instance_id.data()),
                                instance_id.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);  // the state holds the keyed pads
  std::array<char, kMacHexLength + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return {hex.data(), kMacHexLength};
}

bool VerifyInstanceIdSignature(std::span<const std::uint8_t> secret, std::string_view instance_id,
                               std::string_view hex_signature) {
  if (secret.empty() || hex_signature.size() != kMacHexLength) return false;
  const bool lowercase_hex = std::all_of(hex_signature.begin(), hex_signature.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!lowercase_hex) return false;
  const std::string expected = ComputeInstanceIdSignature(secret, instance_id);
  return ConstantTimeEquals(
      {reinterpret_cast<const std::uint8_t*>(expected.data()), expected.size()},
      {reinterpret_cast<const std::uint8_t*>(hex_signature.data()), hex_signature.size()});
}

}  // namespace seedwell

#include "crypto/encoding.h"

#include <sodium.h>

#include "crypto/secret_buffer.h"

namespace seedwell {
namespace {

void AppendBase64Variant(std::string& out, std::span<const std::uint8_t> bytes, int variant) {
  EnsureSodium();
  const std::size_t start = out.size();
  const std::size_t max_len = sodium_base64_encoded_len(bytes.size(), variant);
  out.resize(start + max_len);  // includes the terminating NUL written by libsodium
  sodium_bin2base64(out.data() + start, max_len, bytes.data(), bytes.size(), variant);
  out.resize(start + max_len - 1);
}

std::string Base64(std::span<const std::uint8_t> bytes, int variant) {
  std::string out;
  AppendBase64Variant(out, bytes, variant);
  return out;
}

// DecodeInto decodes |text| into |out|; |exact| demands that it fill |out| completely. On success
// it returns the number of bytes written.
Result<std::size_t> DecodeInto(std::string_view text, std::span<std::uint8_t> out, bool hex,
                               int variant, bool exact) {
  EnsureSodium();
  std::size_t written = 0;
  const char* end = nullptr;
  const int rc = hex ? sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr,
                                      &written, &end)
                     : sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr,
                                         &written, &end, variant);
  const char* text_end = text.data() + text.size();
  if (rc != 0 || end != text_end || (exact && written != out.size())) {
    sodium_memzero(out.data(), out.size());
    return Fail(ErrorCode::kInvalidArgument,
                hex ? "malformed or wrong-length hex" : "malformed or wrong-length base64");
  }
  return written;
}

Result<std::vector<std::uint8_t>> Decode(std::string_view text, bool hex, int variant) {
  std::vector<std::uint8_t> out(hex ? text.size() / 2 + 1 : text.size() * 3 / 4 + 3);
  auto written = DecodeInto(text, out, hex, variant, /*exact=*/false);
  SEEDWELL_RETURN_IF_ERROR(written);
  if (hex && text.size() % 2 != 0) return Fail(ErrorCode::kInvalidArgument, "malformed hex");
  out.resize(*written);
  return out;
}

}  // namespace

std::string ToHex(std::span<const std::uint8_t> bytes) {
  std::string out;
  AppendHex(out, bytes);
  return out;
}

void AppendHex(std::string& out, std::span<const std::uint8_t> bytes) {
  EnsureSodium();
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 2 + 1);  // includes the terminating NUL written by libsodium
  sodium_bin2hex(out.data() + start, bytes.size() * 2 + 1, bytes.data(), bytes.size());
  out.resize(start + bytes.size() * 2);
}

void AppendBase64(std::string& out, std::span<const std::uint8_t> bytes) {
  AppendBase64Variant(out, bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::string ToBase64(std::span<const std::uint8_t> bytes) {
  return Base64(bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::string ToBase64Url(std::span<const std::uint8_t> bytes) {
  return Base64(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

Result<std::vector<std::uint8_t>> FromHex(std::string_view text) {
  return Decode(text, /*hex=*/true, 0);
}

Result<std::vector<std::uint8_t>> FromBase64(std::string_view text) {
  return Decode(text, /*hex=*/false, sodium_base64_VARIANT_ORIGINAL);
}

Result<std::vector<std::uint8_t>> FromBase64Url(std::string_view text) {
  return Decode(text, /*hex=*/false, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

Result<void> FromHexInto(std::string_view text, std::span<std::uint8_t> out) {
  auto written = DecodeInto(text, out, /*hex=*/true, 0, /*exact=*/true);
  SEEDWELL_RETURN_IF_ERROR(written);
  return {};
}

Result<void> FromBase64Into(std::string_view text, std::span<std::uint8_t> out) {
  auto written = DecodeInto(text, out, /*hex=*/false, sodium_base64_VARIANT_ORIGINAL,
                            /*exact=*/true);
  SEEDWELL_RETURN_IF_ERROR(written);
  return {};
}

}  // namespace seedwell

#include "service/store/list_cursor.h"

#include <sodium.h>

#include <array>

namespace seedwell {
namespace {

constexpr std::string_view kCursorPrefix = "c1:";

}  // namespace

std::string EncodeListCursor(std::string_view id) {
  const std::string plain = std::string(kCursorPrefix) + std::string(id);
  std::string out(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

Result<std::string> DecodeListCursor(std::string_view cursor) {
  if (cursor.empty()) return std::string();
  std::array<char, 64> plain{};
  std::size_t length = 0;
  if (cursor.size() > 80 ||
      sodium_base642bin(reinterpret_cast<unsigned char*>(plain.data()), plain.size(), cursor.data(),
                        cursor.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return Fail(ErrorCode::kInvalidArgument, "cursor: malformed");
  }
  const std::string_view text(plain.data(), length);
  if (text.substr(0, kCursorPrefix.size()) != kCursorPrefix) {
    return Fail(ErrorCode::kInvalidArgument, "cursor: malformed");
  }
  return std::string(text.substr(kCursorPrefix.size()));
}

}  // namespace seedwell

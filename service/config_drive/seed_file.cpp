#include "service/config_drive/seed_file.h"

#include <sodium.h>

#include <array>
#include <cstring>
#include <string>

#include "crypto/encoding.h"
#include "crypto/signed_block.h"

namespace seedwell {

Result<SecretBuffer> MakeSeedFile(std::string_view instance_id, std::size_t seed_bytes,
                                  std::uint64_t now_unix_ms, const SigningKey& key,
                                  const RandomFill& random) {
  if (seed_bytes < kMinSeedFileBytes || seed_bytes > kMaxSeedFileBytes) {
    return Fail(ErrorCode::kInvalidArgument, "seed size must be from " +
                                                 std::to_string(kMinSeedFileBytes) + " to " +
                                                 std::to_string(kMaxSeedFileBytes) + " bytes");
  }
  SecretBuffer seed(seed_bytes);
  std::array<std::uint8_t, kSeedNonceBytes> nonce{};
  SEEDWELL_TRY(random(seed.span()));
  SEEDWELL_TRY(random(nonce));

  const BlockFields fields{instance_id, nonce, now_unix_ms, key.kid(), false, seed.span()};
  auto signature = SignBlock(key, fields);
  SEEDWELL_RETURN_IF_ERROR(signature);

  // Everything around the seed is public; only the base64 of the seed goes straight into the
  // SecretBuffer.
  const std::string head = std::string(R"({"format":")") + std::string(kSeedFileFormat) +
                           R"(","instance_id":")" + std::string(instance_id) + R"(","kid":")" +
                           key.kid() + R"(","public_key":")" + ToBase64(key.public_key()) +
                           R"(","issued_at_unix_ms":)" + std::to_string(now_unix_ms) +
                           R"(,"nonce":")" + ToBase64(nonce) + R"(","sealed":false,"data":")";
  const std::string tail = R"(","signature":")" + ToBase64(*signature) + "\"}\n";
  const std::size_t b64_len = sodium_base64_ENCODED_LEN(seed_bytes, sodium_base64_VARIANT_ORIGINAL);
  // b64_len counts the terminating NUL the encoder writes; the tail (never empty) overwrites it.
  SecretBuffer text(head.size() + (b64_len - 1) + tail.size());
  std::memcpy(text.data(), head.data(), head.size());
  sodium_bin2base64(reinterpret_cast<char*>(text.data() + head.size()), b64_len, seed.data(),
                    seed.size(), sodium_base64_VARIANT_ORIGINAL);
  std::memcpy(text.data() + head.size() + b64_len - 1, tail.data(), tail.size());
  return text;
}

}  // namespace seedwell

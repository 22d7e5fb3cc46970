#include "crypto/signed_block.h"

#include <cstring>
#include <limits>

namespace seedwell {
namespace {

constexpr std::size_t kLengthBytes = 4;
constexpr std::size_t kMaxField = std::numeric_limits<std::uint32_t>::max();

// Writer appends big-endian integers and length-prefixed strings to a fixed span.
class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out) : out_(out) {}

  void U8(std::uint8_t v) { out_[pos_++] = v; }
  void U32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) U8(static_cast<std::uint8_t>(v >> shift));
  }
  void U64(std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) U8(static_cast<std::uint8_t>(v >> shift));
  }
  void Bytes(std::span<const std::uint8_t> b) {
    U32(static_cast<std::uint32_t>(b.size()));
    if (!b.empty()) std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  void Text(std::string_view s) {
    Bytes(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }

 private:
  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
};

Result<void> CheckKid(const Ed25519PublicKey& public_key, std::string_view kid) {
  if (KeyIdFor(public_key) != kid) {
    return Fail(ErrorCode::kInvalidArgument, "block key id does not match the key");
  }
  return {};
}

}  // namespace

Result<std::size_t> CanonicalBlockSize(const BlockFields& fields) {
  if (fields.instance_id.size() > kMaxField || fields.nonce.size() > kMaxField ||
      fields.kid.size() > kMaxField || fields.data.size() > kMaxField) {
    return Fail(ErrorCode::kInvalidArgument, "block field too long");
  }
  return kLengthBytes + kBlockLabel.size() + kLengthBytes + fields.instance_id.size() +
         kLengthBytes + fields.nonce.size() + sizeof(std::uint64_t) + kLengthBytes +
         fields.kid.size() + 1 + kLengthBytes + fields.data.size();
}

namespace block_internal {
void WriteCanonical(const BlockFields& fields, std::span<std::uint8_t> out) {
  Writer w(out);
  w.Text(kBlockLabel);
  w.Text(fields.instance_id);
  w.Bytes(fields.nonce);
  w.U64(fields.issued_at_unix_ms);
  w.Text(fields.kid);
  w.U8(fields.sealed ? 1 : 0);
  w.Bytes(fields.data);
}
}  // namespace block_internal

Result<SecretBuffer> CanonicalBlockBytes(const BlockFields& fields) {
  auto size = CanonicalBlockSize(fields);
  SEEDWELL_RETURN_IF_ERROR(size);
  SecretBuffer out(*size);
  block_internal::WriteCanonical(fields, out.span());
  return out;
}

Result<Ed25519Signature> SignBlock(const SigningKey& key, const BlockFields& fields) {
  if (fields.kid != key.kid()) {
    return Fail(ErrorCode::kInvalidArgument, "block key id does not match the signing key");
  }
  return WithCanonicalBlockBytes<Ed25519Signature>(
      fields, [&key](std::span<const std::uint8_t> bytes) -> Result<Ed25519Signature> {
        return key.Sign(bytes);
      });
}

Result<void> VerifyBlock(const Ed25519PublicKey& public_key, const BlockFields& fields,
                         const Ed25519Signature& signature) {
  if (auto ok = CheckKid(public_key, fields.kid); !ok) return ok;
  return WithCanonicalBlockBytes<void>(
      fields, [&](std::span<const std::uint8_t> bytes) -> Result<void> {
        if (!VerifyEd25519(public_key, bytes, signature)) {
          return Fail(ErrorCode::kUnauthenticated, "block signature does not verify");
        }
        return {};
      });
}

}  // namespace seedwell

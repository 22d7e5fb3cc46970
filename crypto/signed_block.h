// Signed block: the canonical byte string that binds one entropy block to its context, and its
// Ed25519 signature. docs/block-format.md specifies the format byte for byte.
//
// Theory of operation: every field that gives a block its meaning (which instance, which request
// nonce, when, under which key, sealed or not, and the bytes exactly as sent) is serialised into
// one unambiguous string: a versioned domain-separation label, then each field in a fixed order,
// variable-length fields as a u32 big-endian length and the bytes, the time as u64 big-endian unix
// milliseconds, the sealed flag as one byte (0 or 1). Two different field tuples never give the
// same string, so a signature over it cannot be replayed to another instance, nonce, time or key.
// The label differs from the batch label (merkle_batch.h) so a single-block signature and a batch
// root signature can never be confused.
//
// When the block is not sealed, the canonical bytes contain the entropy itself, so they are built
// in wiped memory (SecretArray for small blocks, SecretBuffer otherwise).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"
#include "crypto/signing_key.h"

namespace seedwell {

// kBlockLabel is the domain-separation label and version that opens every block's canonical bytes.
inline constexpr std::string_view kBlockLabel = "seedwell-block-v1";

// BlockFields are the inputs of one authenticated block. They are views: the caller owns the bytes.
struct BlockFields {
  std::string_view instance_id;         // the orchestrator's instance UUID, as text
  std::span<const std::uint8_t> nonce;  // the guest's nonce, or the one the server chose
  std::uint64_t issued_at_unix_ms = 0;  // issue time, milliseconds since the Unix epoch (UTC)
  std::string_view kid;                 // key id of the signing key (KeyIdFor)
  bool sealed = false;                  // true when |data| is a sealed box
  std::span<const std::uint8_t> data;   // the bytes as sent: the sealed box when |sealed|
};

// FieldsOf returns views of |block|'s signed fields, for any block type with the members
// instance_id, nonce, issued_at_unix_ms, kid, sealed and data (with span()): the service's
// IssuedBlock and the guest's ReceivedBlock. The views live as long as |block|.
template <typename Block>
BlockFields FieldsOf(const Block& block) {
  return BlockFields{.instance_id = block.instance_id,
                     .nonce = block.nonce,
                     .issued_at_unix_ms = block.issued_at_unix_ms,
                     .kid = block.kid,
                     .sealed = block.sealed,
                     .data = block.data.span()};
}

// CanonicalBlockSize returns the length of the canonical bytes of |fields|, or kInvalidArgument if
// a variable-length field does not fit a u32 length.
Result<std::size_t> CanonicalBlockSize(const BlockFields& fields);

// CanonicalBlockBytes returns the canonical bytes of |fields| in a new SecretBuffer, or
// kInvalidArgument as CanonicalBlockSize does.
Result<SecretBuffer> CanonicalBlockBytes(const BlockFields& fields);

// SignBlock signs the canonical bytes of |fields| with |key|. It fails with kInvalidArgument if
// |fields.kid| is not |key|'s key id or a field is too long. Thread-safe.
Result<Ed25519Signature> SignBlock(const SigningKey& key, const BlockFields& fields);

// VerifyBlock checks |signature| over the canonical bytes of |fields| under |public_key|. It fails
// with kUnauthenticated if the signature does not verify and kInvalidArgument if |fields.kid| is
// not |public_key|'s key id or a field is too long.
Result<void> VerifyBlock(const Ed25519PublicKey& public_key, const BlockFields& fields,
                         const Ed25519Signature& signature);

// WithCanonicalBlockBytes builds the canonical bytes of |fields| in wiped memory and calls
// |use(bytes)| with them, returning its result; the bytes are wiped afterwards. It fails with
// kInvalidArgument as CanonicalBlockSize does, without calling |use|.
template <typename T, typename Use>
Result<T> WithCanonicalBlockBytes(const BlockFields& fields, Use&& use);

// Implementation details of WithCanonicalBlockBytes.
namespace block_internal {
inline constexpr std::size_t kStackBytes = 1024;
// WriteCanonical serialises |fields| into |out|, which must be CanonicalBlockSize bytes long.
void WriteCanonical(const BlockFields& fields, std::span<std::uint8_t> out);
}  // namespace block_internal

template <typename T, typename Use>
Result<T> WithCanonicalBlockBytes(const BlockFields& fields, Use&& use) {
  auto size = CanonicalBlockSize(fields);
  SEEDWELL_RETURN_IF_ERROR(size);
  if (*size <= block_internal::kStackBytes) {
    // Most blocks are small: avoid a locked heap allocation per request.
    SecretArray<block_internal::kStackBytes> scratch;
    const std::span<std::uint8_t> bytes(scratch.data(), *size);
    block_internal::WriteCanonical(fields, bytes);
    return use(std::span<const std::uint8_t>(bytes));
  }
  SecretBuffer scratch(*size);
  block_internal::WriteCanonical(fields, scratch.span());
  return use(std::span<const std::uint8_t>(scratch.span()));
}

}  // namespace seedwell

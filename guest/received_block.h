// ReceivedBlock: an authenticated entropy block as the guest tool receives it (from the service's
// `GET /v1/entropy` in application/octet-stream form, or from a config drive's seedwell/seed.json),
// and its verification against the keys the guest trusts.
//
// Theory of operation: the guest decodes the block's fields (docs/block-format.md section 2),
// then VerifyReceivedBlock checks, in this order: the instance id is the guest's own; the nonce is
// the one the guest sent (when it sent one: this is what makes the block fresh, since a booting
// guest cannot trust its clock); the kid names one of the trusted public keys (never a key the
// block itself carries); and the single signature or the Merkle batch proof verifies over the
// canonical bytes. Only then may the caller open a sealed box and use the data. The data always
// lives in a SecretBuffer; the octet-stream form is preferred because its body is the data
// itself, so no decoded copy of the entropy is ever held in an ordinary string.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/merkle_batch.h"
#include "crypto/result.h"
#include "crypto/secret_buffer.h"
#include "crypto/signed_block.h"
#include "crypto/signing_key.h"
#include "guest/http_get.h"

namespace seedwell {

// ReceivedBlock holds every signed field of one block and its signature or batch proof.
// Movable, not copyable (the data is a SecretBuffer).
struct ReceivedBlock {
  std::string instance_id;
  std::vector<std::uint8_t> nonce;
  std::uint64_t issued_at_unix_ms = 0;
  std::string kid;
  bool sealed = false;
  SecretBuffer data;                          // the bytes as sent (a sealed box when |sealed|)
  std::optional<Ed25519Signature> signature;  // a directly signed block
  std::optional<BatchProof> batch;            // or a batched one
  std::string claimed_public_key;  // a seed file's own "public_key" (base64): a claim, not trust

  // Fields returns views of this block's fields; valid while the block lives.
  BlockFields Fields() const;
};

// BlockFromOctetReply takes the block out of a `GET /v1/entropy` reply with content type
// application/octet-stream: the body is the data, the fields are Seedwell-* headers. The body is
// moved out of |reply|. kInvalidArgument names the missing or malformed header.
Result<ReceivedBlock> BlockFromOctetReply(HttpReply&& reply);

// BlockFromSeedFile parses a config drive's seedwell/seed.json (format "seedwell-seed-v1",
// docs/config-drive.md). The decoded seed goes to a SecretBuffer and the base64 text inside the
// parsed document is wiped. kInvalidArgument names what is malformed. The file's own
// "public_key" member is only recorded as |claimed_public_key|: trust comes from
// VerifyReceivedBlock's keys.
Result<ReceivedBlock> BlockFromSeedFile(std::string_view json_text);

// DecodeSecretBase64 decodes padded base64 |text| into a SecretBuffer of exactly the right size;
// kInvalidArgument, naming |what|, when it is not padded base64.
Result<SecretBuffer> DecodeSecretBase64(std::string_view text, std::string_view what);

// VerifyReceivedBlock checks |block| against the guest's |instance_id|, the |expected_nonce| (when
// given) and the |trusted_keys|, as described above. It fails with kPermissionDenied when the
// block is for another instance or answers another nonce, kNotFound when no trusted key has the
// block's kid, kUnauthenticated when the signature or proof does not verify, and
// kInvalidArgument when the block carries neither a signature nor a batch proof.
Result<void> VerifyReceivedBlock(const ReceivedBlock& block, std::string_view instance_id,
                                 std::optional<std::span<const std::uint8_t>> expected_nonce,
                                 std::span<const Ed25519PublicKey> trusted_keys);

}  // namespace seedwell

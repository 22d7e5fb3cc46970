#include "guest/received_block.h"

#include <sodium.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "crypto/block_wire.h"
#include "crypto/bounded_json.h"
#include "crypto/encoding.h"

namespace seedwell {
namespace {

namespace wire = block_wire;

template <typename T>
Result<T> ParseUnsigned(std::string_view text, std::string_view what) {
  T value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not an unsigned integer");
  }
  return value;
}

Result<Ed25519Signature> ParseSignature(std::string_view base64, std::string_view what) {
  Ed25519Signature signature{};
  if (!FromBase64Into(base64, signature)) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not base64 of 64 bytes");
  }
  return signature;
}

Result<BatchProof> ParseBatchHeaders(const HttpReply& reply) {
  BatchProof proof;
  auto root = ParseSignature(reply.Header(wire::kHeaderBatchRootSignature),
                             wire::kHeaderBatchRootSignature);
  SEEDWELL_RETURN_IF_ERROR(root);
  proof.root_signature = *root;
  auto index = ParseUnsigned<std::uint32_t>(reply.Header(wire::kHeaderBatchLeafIndex),
                                            wire::kHeaderBatchLeafIndex);
  auto count = ParseUnsigned<std::uint32_t>(reply.Header(wire::kHeaderBatchLeafCount),
                                            wire::kHeaderBatchLeafCount);
  SEEDWELL_RETURN_IF_ERROR(index);
  SEEDWELL_RETURN_IF_ERROR(count);
  proof.leaf_index = *index;
  proof.leaf_count = *count;
  std::string_view path = reply.Header(wire::kHeaderBatchPath);
  while (!path.empty()) {
    const auto comma = path.find(',');
    MerkleHash hash{};
    if (proof.path.size() >= 32 || !FromBase64Into(path.substr(0, comma), hash)) {
      return Fail(ErrorCode::kInvalidArgument, "Seedwell-Batch-Path is malformed");
    }
    proof.path.push_back(hash);
    path = comma == std::string_view::npos ? "" : path.substr(comma + 1);
  }
  return proof;
}

}  // namespace

Result<SecretBuffer> DecodeSecretBase64(std::string_view text, std::string_view what) {
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  if (text.size() % 4 != 0) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not padded base64");
  }
  SecretBuffer out(text.size() / 4 * 3 - pad);
  if (!out.empty() && !FromBase64Into(text, out.span())) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not padded base64");
  }
  return out;
}

BlockFields ReceivedBlock::Fields() const { return FieldsOf(*this); }

Result<ReceivedBlock> BlockFromOctetReply(HttpReply&& reply) {
  const std::string_view format = reply.Header(wire::kHeaderFormat);
  if (format != wire::kFormat) {
    return Fail(ErrorCode::kInvalidArgument, "reply is not a seedwell-block-v1 block");
  }
  ReceivedBlock block;
  block.instance_id = std::string(reply.Header(wire::kHeaderInstanceId));
  block.kid = std::string(reply.Header(wire::kHeaderKid));
  if (block.instance_id.empty() || block.kid.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "reply lacks Seedwell-Instance-Id or Seedwell-Kid");
  }
  auto nonce = FromHex(reply.Header(wire::kHeaderNonce));
  if (!nonce) return Fail(ErrorCode::kInvalidArgument, "Seedwell-Nonce is not hex");
  block.nonce = std::move(*nonce);
  auto issued =
      ParseUnsigned<std::uint64_t>(reply.Header(wire::kHeaderIssuedAt), wire::kHeaderIssuedAt);
  SEEDWELL_RETURN_IF_ERROR(issued);
  block.issued_at_unix_ms = *issued;
  const std::string_view sealed = reply.Header(wire::kHeaderSealed);
  if (sealed != "0" && sealed != "1") {
    return Fail(ErrorCode::kInvalidArgument, "Seedwell-Sealed must be 0 or 1");
  }
  block.sealed = sealed == "1";
  if (!reply.Header(wire::kHeaderSignature).empty()) {
    auto signature = ParseSignature(reply.Header(wire::kHeaderSignature), wire::kHeaderSignature);
    SEEDWELL_RETURN_IF_ERROR(signature);
    block.signature = *signature;
  } else if (!reply.Header(wire::kHeaderBatchRootSignature).empty()) {
    auto proof = ParseBatchHeaders(reply);
    SEEDWELL_RETURN_IF_ERROR(proof);
    block.batch = std::move(*proof);
  }
  block.data = std::move(reply.body);
  return block;
}

Result<ReceivedBlock> BlockFromSeedFile(std::string_view json_text) {
  auto parsed = ParseBoundedJson(json_text);
  if (!parsed) return Fail(ErrorCode::kInvalidArgument, "seed file: " + parsed.error().message);
  nlohmann::json& doc = *parsed;
  if (!doc.is_object()) return Fail(ErrorCode::kInvalidArgument, "seed file is not a JSON object");
  const auto text = [&doc](const char* key) -> const std::string* {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* format = text("format");
  const std::string* instance_id = text("instance_id");
  const std::string* kid = text("kid");
  const std::string* nonce = text("nonce");
  const std::string* data = text("data");
  const std::string* signature = text("signature");
  const auto issued = doc.find("issued_at_unix_ms");
  const auto sealed = doc.find("sealed");
  if (format == nullptr || *format != wire::kSeedFileFormat) {
    return Fail(ErrorCode::kInvalidArgument, "seed file format is not seedwell-seed-v1");
  }
  if (instance_id == nullptr || kid == nullptr || nonce == nullptr || data == nullptr ||
      signature == nullptr || issued == doc.end() || !issued->is_number_unsigned() ||
      sealed == doc.end() || !sealed->is_boolean()) {
    return Fail(ErrorCode::kInvalidArgument,
                "seed file lacks a member or has one of the wrong type");
  }
  ReceivedBlock block;
  block.instance_id = *instance_id;
  block.kid = *kid;
  block.issued_at_unix_ms = issued->get<std::uint64_t>();
  block.sealed = sealed->get<bool>();
  if (const std::string* claimed = text("public_key")) block.claimed_public_key = *claimed;
  auto nonce_bytes = FromBase64(*nonce);
  if (!nonce_bytes) return Fail(ErrorCode::kInvalidArgument, "seed file nonce is not base64");
  block.nonce = std::move(*nonce_bytes);
  auto sig = ParseSignature(*signature, "seed file signature");
  SEEDWELL_RETURN_IF_ERROR(sig);
  block.signature = *sig;
  auto seed = DecodeSecretBase64(*data, "seed file data");
  // The parsed document holds the seed as base64 text: wipe it before it is freed.
  auto& data_text = doc["data"].get_ref<std::string&>();
  sodium_memzero(data_text.data(), data_text.size());
  SEEDWELL_RETURN_IF_ERROR(seed);
  block.data = std::move(*seed);
  return block;
}

Result<void> VerifyReceivedBlock(const ReceivedBlock& block, std::string_view instance_id,
                                 std::optional<std::span<const std::uint8_t>> expected_nonce,
                                 std::span<const Ed25519PublicKey> trusted_keys) {
  if (block.instance_id != instance_id) {
    return Fail(ErrorCode::kPermissionDenied, "block was issued to instance '" + block.instance_id +
                                                  "', not to this one ('" +
                                                  std::string(instance_id) + "')");
  }
  if (expected_nonce &&
      (expected_nonce->size() != block.nonce.size() ||
       sodium_memcmp(expected_nonce->data(), block.nonce.data(), block.nonce.size()) != 0)) {
    return Fail(ErrorCode::kPermissionDenied, "block answers another nonce (replayed or stale)");
  }
  const Ed25519PublicKey* key = nullptr;
  for (const Ed25519PublicKey& candidate : trusted_keys) {
    if (KeyIdFor(candidate) == block.kid) key = &candidate;
  }
  if (key == nullptr) {
    return Fail(ErrorCode::kNotFound, "block is signed by key " + block.kid +
                                          ", which is not a trusted key (rotated? rebuild the "
                                          "config drive or pass --public-key)");
  }
  if (block.signature) return VerifyBlock(*key, block.Fields(), *block.signature);
  if (block.batch) return VerifyBatchedBlock(*key, block.Fields(), *block.batch);
  return Fail(ErrorCode::kInvalidArgument, "block carries neither a signature nor a batch proof");
}

}  // namespace seedwell

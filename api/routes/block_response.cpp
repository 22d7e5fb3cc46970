#include "api/routes/block_response.h"

#include <nlohmann/json.hpp>

#include <string>

#include "api/http/json_error.h"
#include "crypto/block_wire.h"
#include "crypto/encoding.h"

namespace seedwell {
namespace {

namespace wire = block_wire;

std::string JoinPath(const BatchProof& proof) {
  std::string out;
  for (const MerkleHash& h : proof.path) {
    if (!out.empty()) out += ',';
    out += ToBase64(h);
  }
  return out;
}

}  // namespace

void WriteJsonBlock(const IssuedBlock& block, httplib::Response& res) {
  nlohmann::json doc = {{"format", wire::kFormat},
                        {"alg", "Ed25519"},
                        {"instance_id", block.instance_id},
                        {"nonce", ToHex(block.nonce)},
                        {"issued_at_unix_ms", block.issued_at_unix_ms},
                        {"kid", block.kid},
                        {"sealed", block.sealed},
                        {"data", ToBase64(block.data.span())}};
  if (block.signature) doc["signature"] = ToBase64(*block.signature);
  if (block.batch) {
    nlohmann::json path = nlohmann::json::array();
    for (const MerkleHash& h : block.batch->path) path.push_back(ToBase64(h));
    doc["batch"] = {{"root_signature", ToBase64(block.batch->root_signature)},
                    {"leaf_index", block.batch->leaf_index},
                    {"leaf_count", block.batch->leaf_count},
                    {"path", path}};
  }
  WriteJson(res, 200, doc);
}

void WriteOctetBlock(const IssuedBlock& block, httplib::Response& res) {
  res.set_header(wire::kHeaderFormat, std::string(wire::kFormat));
  res.set_header(wire::kHeaderInstanceId, block.instance_id);
  res.set_header(wire::kHeaderNonce, ToHex(block.nonce));
  res.set_header(wire::kHeaderIssuedAt, std::to_string(block.issued_at_unix_ms));
  res.set_header(wire::kHeaderKid, block.kid);
  res.set_header(wire::kHeaderSealed, block.sealed ? "1" : "0");
  if (block.signature) res.set_header(wire::kHeaderSignature, ToBase64(*block.signature));
  if (block.batch) {
    res.set_header(wire::kHeaderBatchRootSignature, ToBase64(block.batch->root_signature));
    res.set_header(wire::kHeaderBatchLeafIndex, std::to_string(block.batch->leaf_index));
    res.set_header(wire::kHeaderBatchLeafCount, std::to_string(block.batch->leaf_count));
    res.set_header(wire::kHeaderBatchPath, JoinPath(*block.batch));
  }
  const auto data = block.data.span();
  res.set_content(std::string(reinterpret_cast<const char*>(data.data()), data.size()),
                  "application/octet-stream");
}

}  // namespace seedwell

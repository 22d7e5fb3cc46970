#include "api/routes/block_response.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>

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

// Plain reports whether |text| goes into JSON as it is: printable ASCII without quote or backslash.
bool Plain(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

void AppendField(std::string& out, std::string_view name, std::string_view quoted_value) {
  out += '"';
  out += name;
  out += "\":\"";
  out += quoted_value;
  out += '"';
}

// FixedJsonBlock writes the document WriteJsonBlock's DOM would dump (keys sorted, compact)
// straight into a string: the guest hot path's form. Only for blocks whose text fields are Plain.
std::string FixedJsonBlock(const IssuedBlock& block) {
  std::string out;
  out.reserve(512 + block.data.span().size() * 4 / 3 +
              (block.batch ? block.batch->path.size() * 48 : 0));
  out += "{\"alg\":\"Ed25519\",";
  if (block.batch) {
    out += "\"batch\":{\"leaf_count\":";
    out += std::to_string(block.batch->leaf_count);
    out += ",\"leaf_index\":";
    out += std::to_string(block.batch->leaf_index);
    out += ",\"path\":[";
    for (std::size_t i = 0; i < block.batch->path.size(); ++i) {
      if (i > 0) out += ',';
      out += '"';
      out += ToBase64(block.batch->path[i]);
      out += '"';
    }
    out += "],";
    AppendField(out, "root_signature", ToBase64(block.batch->root_signature));
    out += "},";
  }
  AppendField(out, "data", ToBase64(block.data.span()));
  out += ',';
  AppendField(out, "format", wire::kFormat);
  out += ',';
  AppendField(out, "instance_id", block.instance_id);
  out += ",\"issued_at_unix_ms\":";
  out += std::to_string(block.issued_at_unix_ms);
  out += ',';
  AppendField(out, "kid", block.kid);
  out += ',';
  AppendField(out, "nonce", ToHex(block.nonce));
  out += block.sealed ? ",\"sealed\":true" : ",\"sealed\":false";
  if (block.signature) {
    out += ',';
    AppendField(out, "signature", ToBase64(*block.signature));
  }
  out += '}';
  return out;
}

}  // namespace

void WriteJsonBlock(const IssuedBlock& block, httplib::Response& res) {
  if (Plain(block.instance_id) && Plain(block.kid)) {
    res.status = 200;
    res.set_content(FixedJsonBlock(block), "application/json");
    return;
  }
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

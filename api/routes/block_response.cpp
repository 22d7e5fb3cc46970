#include "api/routes/block_response.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include "api/http/json_error.h"
#include "crypto/block_wire.h"
#include "crypto/encoding.h"
#include "crypto/public_base64.h"

namespace seedwell {
namespace {

namespace wire = block_wire;

// PublicBase64 is ToBase64 for a public value (a signature or hash): see AppendPublicBase64.
std::string PublicBase64(std::span<const std::uint8_t> bytes) {
  std::string out;
  AppendPublicBase64(out, bytes);
  return out;
}

std::string JoinPath(const BatchProof& proof) {
  std::string out;
  for (const MerkleHash& h : proof.path) {
    if (!out.empty()) out += ',';
    AppendPublicBase64(out, h);
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

// AppendBase64Field appends "name":"<base64 of bytes>", encoding straight into |out|: in
// constant time unless |bytes| is |kPublic| (a signature or hash; see AppendPublicBase64).
enum class Secrecy { kSecret, kPublic };
void AppendBase64Field(std::string& out, std::string_view name, std::span<const std::uint8_t> bytes,
                       Secrecy secrecy) {
  out += '"';
  out += name;
  out += "\":\"";
  if (secrecy == Secrecy::kPublic) {
    AppendPublicBase64(out, bytes);
  } else {
    AppendBase64(out, bytes);
  }
  out += '"';
}

// FixedJsonBlock writes the document WriteJsonBlock's DOM would dump (keys sorted, compact)
// straight into a string: the guest hot path's form. Only for blocks whose text fields are Plain.
std::string FixedJsonBlock(const IssuedBlock& block) {
  // Room for everything (fixed text, nonce and signatures are under 640 bytes), so the string
  // never moves once the data's encoding is in it.
  std::string out;
  out.reserve(640 + block.instance_id.size() + block.kid.size() +
              (block.data.span().size() + 2) / 3 * 4 +
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
      AppendPublicBase64(out, block.batch->path[i]);
      out += '"';
    }
    out += "],";
    AppendBase64Field(out, "root_signature", block.batch->root_signature, Secrecy::kPublic);
    out += "},";
  }
  AppendBase64Field(out, "data", block.data.span(), Secrecy::kSecret);
  out += ',';
  AppendField(out, "format", wire::kFormat);
  out += ',';
  AppendField(out, "instance_id", block.instance_id);
  out += ",\"issued_at_unix_ms\":";
  out += std::to_string(block.issued_at_unix_ms);
  out += ',';
  AppendField(out, "kid", block.kid);
  out += ',';
  out += "\"nonce\":\"";
  AppendHex(out, block.nonce);
  out += '"';
  out += block.sealed ? ",\"sealed\":true" : ",\"sealed\":false";
  if (block.signature) {
    out += ',';
    AppendBase64Field(out, "signature", *block.signature, Secrecy::kPublic);
  }
  out += '}';
  return out;
}

}  // namespace

void WriteJsonBlock(const IssuedBlock& block, httplib::Response& res) {
  if (Plain(block.instance_id) && Plain(block.kid)) {
    res.status = 200;
    res.body = FixedJsonBlock(block);  // moved in: no second copy of the data's encoding
    res.set_header("Content-Type", "application/json");
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
  if (block.signature) res.set_header(wire::kHeaderSignature, PublicBase64(*block.signature));
  if (block.batch) {
    res.set_header(wire::kHeaderBatchRootSignature, PublicBase64(block.batch->root_signature));
    res.set_header(wire::kHeaderBatchLeafIndex, std::to_string(block.batch->leaf_index));
    res.set_header(wire::kHeaderBatchLeafCount, std::to_string(block.batch->leaf_count));
    res.set_header(wire::kHeaderBatchPath, JoinPath(*block.batch));
  }
  const auto data = block.data.span();
  res.set_content(std::string(reinterpret_cast<const char*>(data.data()), data.size()),
                  "application/octet-stream");
}

}  // namespace seedwell

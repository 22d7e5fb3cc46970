#include "api/routes/guest_routes.h"

#include <string>

#include "api/http/json_error.h"
#include "api/routes/openstack_routes.h"
#include "api/routes/pollen_routes.h"
#include "api/routes/status_json.h"
#include "crypto/encoding.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

enum class Format { kJson, kOctets, kNone };

// Negotiate picks the response format from Accept: whichever of application/json and
// application/octet-stream comes first; JSON for no Accept or a bare wildcard.
Format Negotiate(const Request& req) {
  const std::string accept = req.get_header_value("Accept");
  const auto json = accept.find("application/json");
  const auto octets = accept.find("application/octet-stream");
  if (json != std::string::npos || octets != std::string::npos) {
    return json < octets ? Format::kJson : Format::kOctets;
  }
  if (accept.empty() || accept.find("*/*") != std::string::npos ||
      accept.find("application/*") != std::string::npos) {
    return Format::kJson;
  }
  return Format::kNone;
}

// SingleParam returns the one value of |name|: nullopt if absent; kInvalidArgument if repeated.
Result<std::optional<std::string>> SingleParam(const Request& req, const char* name) {
  const std::size_t count = req.get_param_value_count(name);
  if (count == 0) return std::optional<std::string>();
  if (count > 1) return Fail(ErrorCode::kInvalidArgument, std::string(name) + " given twice");
  return std::optional<std::string>(req.get_param_value(name));
}

// ParseRequest reads bytes, nonce and recipient from the query or form; everything else is 400.
Result<IssueRequest> ParseRequest(const Request& req, std::size_t max_bytes,
                                  std::vector<std::uint8_t>& nonce_storage) {
  for (const auto& [key, value] : req.params) {
    if (key != "bytes" && key != "nonce" && key != "recipient") {
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown parameter (known: bytes, nonce, recipient)");
    }
  }
  IssueRequest out;
  auto bytes = SingleParam(req, "bytes");
  SEEDWELL_RETURN_IF_ERROR(bytes);
  if (*bytes) {
    const std::string& text = **bytes;
    const bool digits = !text.empty() && text.size() <= 6 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    const std::size_t n = digits ? std::stoul(text) : 0;
    if (n == 0 || n > max_bytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  "bytes must be an integer from 1 to " + std::to_string(max_bytes));
    }
    out.bytes = n;
  }
  auto nonce = SingleParam(req, "nonce");
  SEEDWELL_RETURN_IF_ERROR(nonce);
  if (*nonce) {
    auto decoded = FromHex(**nonce);
    if (!decoded || decoded->empty() || decoded->size() > kMaxNonceBytes) {
      return Fail(ErrorCode::kInvalidArgument, "nonce must be 1 to 64 bytes in hex");
    }
    nonce_storage = std::move(*decoded);
    out.nonce = nonce_storage;
  }
  auto recipient = SingleParam(req, "recipient");
  SEEDWELL_RETURN_IF_ERROR(recipient);
  if (*recipient) {
    auto key = ParseX25519PublicKey(**recipient);
    if (!key) return Fail(ErrorCode::kInvalidArgument, "recipient must be a base64 X25519 key");
    out.recipient = *key;
  }
  return out;
}

std::string JoinPath(const BatchProof& proof) {
  std::string out;
  for (const MerkleHash& h : proof.path) {
    if (!out.empty()) out += ',';
    out += ToBase64(h);
  }
  return out;
}

void WriteJsonBlock(const IssuedBlock& block, Response& res) {
  nlohmann::json doc = {{"format", "seedwell-block-v1"},
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

void WriteOctetBlock(const IssuedBlock& block, Response& res) {
  res.set_header("Seedwell-Format", "seedwell-block-v1");
  res.set_header("Seedwell-Instance-Id", block.instance_id);
  res.set_header("Seedwell-Nonce", ToHex(block.nonce));
  res.set_header("Seedwell-Issued-At-Unix-Ms", std::to_string(block.issued_at_unix_ms));
  res.set_header("Seedwell-Kid", block.kid);
  res.set_header("Seedwell-Sealed", block.sealed ? "1" : "0");
  if (block.signature) res.set_header("Seedwell-Signature", ToBase64(*block.signature));
  if (block.batch) {
    res.set_header("Seedwell-Batch-Root-Signature", ToBase64(block.batch->root_signature));
    res.set_header("Seedwell-Batch-Leaf-Index", std::to_string(block.batch->leaf_index));
    res.set_header("Seedwell-Batch-Leaf-Count", std::to_string(block.batch->leaf_count));
    res.set_header("Seedwell-Batch-Path", JoinPath(*block.batch));
  }
  const auto data = block.data.span();
  res.set_content(std::string(reinterpret_cast<const char*>(data.data()), data.size()),
                  "application/octet-stream");
}

void Entropy(GuestApi& api, const Request& req, Response& res) {
  const Format format = Negotiate(req);
  if (format == Format::kNone) {
    return WriteHttpError(res, HttpError{406, "not_acceptable",
                                         "Accept application/json or application/octet-stream"});
  }
  std::vector<std::uint8_t> nonce;
  auto request = ParseRequest(req, api.max_bytes(), nonce);
  if (!request) return WriteGuestError(res, request.error());
  auto who = api.Identify(req, res);
  if (!who) return;
  std::chrono::milliseconds retry_after{0};
  auto block = api.issuer().Issue(who->instance, *request, &retry_after);
  if (!block) return WriteGuestError(res, block.error(), retry_after);
  res.set_header("Cache-Control", "no-store");
  if (format == Format::kJson) return WriteJsonBlock(*block, res);
  WriteOctetBlock(*block, res);
}

}  // namespace

void RegisterGuestRoutes(HttpServer& server, GuestApi& api) {
  auto entropy = [&api](const Request& req, Response& res) { Entropy(api, req, res); };
  server.Get("/v1/entropy", entropy);
  server.Post("/v1/entropy", entropy, kGuestBodyLimit);
  server.Get("/v1/keys", [&api](const Request&, Response& res) {
    WriteJson(res, 200, KeysToJson(api.ctx().keys.PublicKeys()));
  });
  RegisterOpenStackRoutes(server, api);
  RegisterPollenRoutes(server, api);
}

}  // namespace seedwell

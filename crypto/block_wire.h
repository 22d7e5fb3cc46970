// The authenticated block's wire forms: the one home of every name and bound that the service
// (api/routes/block_response.cpp) writes and the guest tool (guest/received_block.cpp) reads, so
// the two cannot drift. docs/block-format.md section 8 describes both forms.
//
//   application/json          {"format": kBlockFormat, "alg": "Ed25519", "instance_id", "nonce"
//                             (hex), "issued_at_unix_ms", "kid", "sealed", "data" (base64),
//                             "signature" or "batch": {"root_signature", "leaf_index",
//                             "leaf_count", "path"}}
//   application/octet-stream  the body is the data; every other field is a Seedwell-* header
#pragma once

#include <cstddef>
#include <string_view>

#include "crypto/signed_block.h"

namespace seedwell::block_wire {

// kFormat names the block format in both forms; it is also the canonical bytes' label.
inline constexpr std::string_view kFormat = kBlockLabel;

// kSeedFileFormat names the config drive's signed seed file (seedwell/seed.json), which carries a
// block's fields as JSON (docs/config-drive.md).
inline constexpr std::string_view kSeedFileFormat = "seedwell-seed-v1";

// kMaxDataBytes is the most data one block carries (what a guest may ask for at most).
inline constexpr std::size_t kMaxDataBytes = 65536;

// Header names of the application/octet-stream form (HTTP header names are case-insensitive).
inline constexpr const char* kHeaderFormat = "Seedwell-Format";
inline constexpr const char* kHeaderInstanceId = "Seedwell-Instance-Id";
inline constexpr const char* kHeaderNonce = "Seedwell-Nonce";  // hex
inline constexpr const char* kHeaderIssuedAt = "Seedwell-Issued-At-Unix-Ms";
inline constexpr const char* kHeaderKid = "Seedwell-Kid";
inline constexpr const char* kHeaderSealed = "Seedwell-Sealed";        // "0" or "1"
inline constexpr const char* kHeaderSignature = "Seedwell-Signature";  // base64, direct signing
inline constexpr const char* kHeaderBatchRootSignature = "Seedwell-Batch-Root-Signature";
inline constexpr const char* kHeaderBatchLeafIndex = "Seedwell-Batch-Leaf-Index";
inline constexpr const char* kHeaderBatchLeafCount = "Seedwell-Batch-Leaf-Count";
inline constexpr const char* kHeaderBatchPath = "Seedwell-Batch-Path";  // base64 hashes, commas

}  // namespace seedwell::block_wire

// Merkle batch: sign many blocks with one Ed25519 signature, as Roughtime does.
//
// Theory of operation: each block's canonical bytes (signed_block.h) become a leaf of a Merkle
// tree shaped as in RFC 6962 / RFC 9162 section 2.1.1 (the left subtree holds the largest power of
// two of leaves smaller than the count), with domain-separated hashes
//   leaf = SHA-512(0x00 || canonical_bytes)[0:32],   node = SHA-512(0x01 || left || right)[0:32].
// The key signs once, over a message with its own label so it can never be taken for a block:
//   u32be(len(kBatchLabel)) || kBatchLabel || u32be(leaf_count) || root (32 bytes).
// Each block then carries the root signature, its leaf index, the leaf count and its audit path
// (the sibling hashes from the leaf up). A verifier recomputes the root from the block's own
// fields with the RFC 9162 section 2.1.3.2 algorithm, which also checks that the path has exactly
// the length the index and count imply, and verifies the signature over that root. The root is
// not sent: a block whose fields, index or path are wrong yields a different root and fails.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/signed_block.h"
#include "crypto/signing_key.h"

namespace seedwell {

// kBatchLabel is the domain-separation label and version of a signed batch root.
inline constexpr std::string_view kBatchLabel = "seedwell-batch-v1";
inline constexpr std::size_t kMerkleHashBytes = 32;

using MerkleHash = std::array<std::uint8_t, kMerkleHashBytes>;

// BatchProof is what one batched block carries instead of its own signature.
struct BatchProof {
  Ed25519Signature root_signature{};  // signature over the batch root message
  std::uint32_t leaf_index = 0;       // this block's position in the batch, from 0
  std::uint32_t leaf_count = 0;       // number of blocks in the batch
  std::vector<MerkleHash> path;       // audit path, from the leaf's sibling up to the root's child
};

// MerkleLeafHash returns SHA-512(0x00 || canonical_bytes) truncated to 32 bytes.
MerkleHash MerkleLeafHash(std::span<const std::uint8_t> canonical_bytes);

// MerkleNodeHash returns SHA-512(0x01 || left || right) truncated to 32 bytes.
MerkleHash MerkleNodeHash(const MerkleHash& left, const MerkleHash& right);

// BatchRootMessage returns the 57-byte message the key signs for a batch of |leaf_count| leaves
// with root |root|.
std::vector<std::uint8_t> BatchRootMessage(std::uint32_t leaf_count, const MerkleHash& root);

// RootFromAuditPath recomputes the tree root from |leaf| at |leaf_index| of |leaf_count| and its
// audit |path| (RFC 9162 section 2.1.3.2). It fails with kInvalidArgument if the index is out of
// range or the path length does not match.
Result<MerkleHash> RootFromAuditPath(const MerkleHash& leaf, std::uint32_t leaf_index,
                                     std::uint32_t leaf_count, std::span<const MerkleHash> path);

// SignBatch builds the tree over |blocks|, signs its root with |key| once and returns one proof per
// block, in order. It fails with kInvalidArgument if |blocks| is empty or holds more than 2^32 - 1
// entries, or if a block is invalid for SignBlock (wrong kid, field too long).
Result<std::vector<BatchProof>> SignBatch(const SigningKey& key,
                                          std::span<const BlockFields> blocks);

// SignLeafHashes builds the tree over already computed leaf hashes (MerkleLeafHash of each block's
// canonical bytes), signs its root with |key| once and returns one proof per leaf, in order. It
// fails with kInvalidArgument if |leaves| is empty or holds more than 2^32 - 1 entries. The caller
// must have built every leaf with |key|'s kid.
Result<std::vector<BatchProof>> SignLeafHashes(const SigningKey& key,
                                               std::span<const MerkleHash> leaves);

// VerifyBatchedBlock checks that |fields| is leaf |proof.leaf_index| of a batch whose root
// |public_key| signed. It fails with kUnauthenticated if the signature over the recomputed root
// does not verify, and kInvalidArgument for a malformed proof or a kid that is not the key's.
Result<void> VerifyBatchedBlock(const Ed25519PublicKey& public_key, const BlockFields& fields,
                                const BatchProof& proof);

}  // namespace seedwell

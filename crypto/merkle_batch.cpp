#include "crypto/merkle_batch.h"

#include <sodium.h>

#include <bit>
#include <cstring>
#include <limits>

namespace seedwell {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

MerkleHash Truncate(const std::array<std::uint8_t, crypto_hash_sha512_BYTES>& digest) {
  MerkleHash out{};
  std::memcpy(out.data(), digest.data(), out.size());
  return out;
}

void PutU32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace

MerkleHash MerkleLeafHash(std::span<const std::uint8_t> canonical_bytes) {
  EnsureSodium();
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  crypto_hash_sha512_update(&state, &kLeafPrefix, 1);
  crypto_hash_sha512_update(&state, canonical_bytes.data(), canonical_bytes.size());
  std::array<std::uint8_t, crypto_hash_sha512_BYTES> digest{};
  crypto_hash_sha512_final(&state, digest.data());
  // The state has absorbed the canonical bytes (which may hold unsealed entropy): wipe it.
  sodium_memzero(&state, sizeof(state));
  return Truncate(digest);
}

MerkleHash MerkleNodeHash(const MerkleHash& left, const MerkleHash& right) {
  EnsureSodium();
  std::array<std::uint8_t, 1 + 2 * kMerkleHashBytes> input{};
  input[0] = kNodePrefix;
  std::memcpy(input.data() + 1, left.data(), kMerkleHashBytes);
  std::memcpy(input.data() + 1 + kMerkleHashBytes, right.data(), kMerkleHashBytes);
  std::array<std::uint8_t, crypto_hash_sha512_BYTES> digest{};
  crypto_hash_sha512(digest.data(), input.data(), input.size());
  return Truncate(digest);
}

std::vector<std::uint8_t> BatchRootMessage(std::uint32_t leaf_count, const MerkleHash& root) {
  std::vector<std::uint8_t> message;
  message.reserve(4 + kBatchLabel.size() + 4 + root.size());
  PutU32(message, static_cast<std::uint32_t>(kBatchLabel.size()));
  message.insert(message.end(), kBatchLabel.begin(), kBatchLabel.end());
  PutU32(message, leaf_count);
  message.insert(message.end(), root.begin(), root.end());
  return message;
}

Result<MerkleHash> RootFromAuditPath(const MerkleHash& leaf, std::uint32_t leaf_index,
                                     std::uint32_t leaf_count, std::span<const MerkleHash> path) {
  if (leaf_index >= leaf_count) {
    return Fail(ErrorCode::kInvalidArgument, "batch leaf index out of range");
  }
  // RFC 9162 section 2.1.3.2, with fn = index and sn = last index.
  std::uint32_t fn = leaf_index;
  std::uint32_t sn = leaf_count - 1;
  MerkleHash r = leaf;
  for (const MerkleHash& p : path) {
    if (sn == 0) return Fail(ErrorCode::kInvalidArgument, "batch audit path too long");
    if ((fn & 1U) == 1U || fn == sn) {
      r = MerkleNodeHash(p, r);
      while ((fn & 1U) == 0U && fn != 0) {
        fn >>= 1U;
        sn >>= 1U;
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1U;
    sn >>= 1U;
  }
  if (sn != 0) return Fail(ErrorCode::kInvalidArgument, "batch audit path too short");
  return r;
}

Result<std::vector<BatchProof>> SignLeafHashes(const SigningKey& key,
                                               std::span<const MerkleHash> leaves) {
  if (leaves.empty() || leaves.size() > std::numeric_limits<std::uint32_t>::max()) {
    return Fail(ErrorCode::kInvalidArgument, "batch must hold 1 to 2^32-1 blocks");
  }
  const auto count = static_cast<std::uint32_t>(leaves.size());
  std::vector<BatchProof> proofs(count);
  // A path holds at most one sibling per level above the leaves: ceil(log2(count)).
  const auto depth = static_cast<std::size_t>(std::bit_width(count - 1));
  for (BatchProof& proof : proofs) proof.path.reserve(depth);
  // Level 0: the leaf hashes. Each higher level pairs neighbours; a lone last node moves up
  // unchanged, which gives exactly the RFC 6962 tree shape.
  std::vector<MerkleHash> level(leaves.begin(), leaves.end());
  // positions[i] is leaf i's node index on the current level.
  std::vector<std::uint32_t> positions(count);
  for (std::uint32_t i = 0; i < count; ++i) positions[i] = i;

  while (level.size() > 1) {
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::size_t sibling = positions[i] ^ 1U;
      if (sibling < level.size()) proofs[i].path.push_back(level[sibling]);
      positions[i] >>= 1U;
    }
    std::vector<MerkleHash> next;
    next.reserve((level.size() + 1) / 2);
    for (std::size_t j = 0; j + 1 < level.size(); j += 2) {
      next.push_back(MerkleNodeHash(level[j], level[j + 1]));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }

  const Ed25519Signature signature = key.Sign(BatchRootMessage(count, level.front()));
  for (std::uint32_t i = 0; i < count; ++i) {
    proofs[i].root_signature = signature;
    proofs[i].leaf_index = i;
    proofs[i].leaf_count = count;
  }
  return proofs;
}

Result<std::vector<BatchProof>> SignBatch(const SigningKey& key,
                                          std::span<const BlockFields> blocks) {
  if (blocks.empty() || blocks.size() > std::numeric_limits<std::uint32_t>::max()) {
    return Fail(ErrorCode::kInvalidArgument, "batch must hold 1 to 2^32-1 blocks");
  }
  std::vector<MerkleHash> level;
  level.reserve(blocks.size());
  for (const BlockFields& fields : blocks) {
    if (fields.kid != key.kid()) {
      return Fail(ErrorCode::kInvalidArgument, "block key id does not match the signing key");
    }
    auto leaf = WithCanonicalBlockBytes<MerkleHash>(
        fields, [](std::span<const std::uint8_t> bytes) -> Result<MerkleHash> {
          return MerkleLeafHash(bytes);
        });
    SEEDWELL_RETURN_IF_ERROR(leaf);
    level.push_back(*leaf);
  }
  return SignLeafHashes(key, level);
}

Result<void> VerifyBatchedBlock(const Ed25519PublicKey& public_key, const BlockFields& fields,
                                const BatchProof& proof) {
  if (KeyIdFor(public_key) != fields.kid) {
    return Fail(ErrorCode::kInvalidArgument, "block key id does not match the key");
  }
  auto leaf = WithCanonicalBlockBytes<MerkleHash>(
      fields, [](std::span<const std::uint8_t> bytes) -> Result<MerkleHash> {
        return MerkleLeafHash(bytes);
      });
  SEEDWELL_RETURN_IF_ERROR(leaf);
  auto root = RootFromAuditPath(*leaf, proof.leaf_index, proof.leaf_count, proof.path);
  SEEDWELL_RETURN_IF_ERROR(root);
  if (!VerifyEd25519(public_key, BatchRootMessage(proof.leaf_count, *root), proof.root_signature)) {
    return Fail(ErrorCode::kUnauthenticated, "batch root signature does not verify");
  }
  return {};
}

}  // namespace seedwell

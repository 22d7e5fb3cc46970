#include "crypto/merkle_batch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

// Blocks owns the bytes behind a batch of BlockFields.
struct Blocks {
  std::vector<std::string> instances;
  std::vector<std::vector<std::uint8_t>> data;
  std::vector<BlockFields> fields;
};

Blocks MakeBlocks(const SigningKey& key, std::size_t n, std::uint8_t salt = 0) {
  Blocks b;
  b.instances.reserve(n);
  b.data.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    b.instances.push_back("instance-" + std::to_string(i));
    b.data.emplace_back(32, static_cast<std::uint8_t>(i + salt));
  }
  for (std::size_t i = 0; i < n; ++i) {
    BlockFields f;
    f.instance_id = b.instances[i];
    f.issued_at_unix_ms = 1700000000000 + i;
    f.kid = key.kid();
    f.sealed = (i % 2) == 1;
    f.data = b.data[i];
    b.fields.push_back(f);
  }
  return b;
}

// ReferenceRoot is RFC 6962's recursive MTH, written independently of SignBatch's bottom-up build.
MerkleHash ReferenceRoot(const std::vector<MerkleHash>& leaves, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return leaves[lo];
  std::size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return MerkleNodeHash(ReferenceRoot(leaves, lo, lo + k), ReferenceRoot(leaves, lo + k, hi));
}

TEST(MerkleBatchTest, EveryLeafVerifiesForManySizes) {
  const SigningKey key = SigningKey::Generate();
  for (const std::size_t n : {1, 2, 3, 7, 64}) {
    SCOPED_TRACE(n);
    const Blocks blocks = MakeBlocks(key, n);
    auto proofs = SignBatch(key, blocks.fields);
    ASSERT_TRUE(proofs.has_value());
    ASSERT_EQ(proofs->size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const BatchProof& p = (*proofs)[i];
      EXPECT_EQ(p.leaf_index, i);
      EXPECT_EQ(p.leaf_count, n);
      EXPECT_EQ(p.root_signature, (*proofs)[0].root_signature);  // one signature per batch
      auto ok = VerifyBatchedBlock(key.public_key(), blocks.fields[i], p);
      EXPECT_TRUE(ok.has_value()) << i << ": " << ok.error().message;
    }
  }
}

TEST(MerkleBatchTest, RootMatchesRfc6962ReferenceForSizes1To70) {
  const SigningKey key = SigningKey::Generate();
  for (std::size_t n = 1; n <= 70; ++n) {
    const Blocks blocks = MakeBlocks(key, n);
    std::vector<MerkleHash> leaves;
    for (const BlockFields& f : blocks.fields) {
      leaves.push_back(MerkleLeafHash(CanonicalBlockBytes(f).value().span()));
    }
    const MerkleHash expected = ReferenceRoot(leaves, 0, n);
    const auto proofs = SignBatch(key, blocks.fields).value();
    for (std::size_t i = 0; i < n; ++i) {
      auto root =
          RootFromAuditPath(leaves[i], proofs[i].leaf_index, proofs[i].leaf_count, proofs[i].path);
      ASSERT_TRUE(root.has_value()) << n << "/" << i;
      EXPECT_EQ(*root, expected) << n << "/" << i;
    }
    EXPECT_TRUE(VerifyEd25519(key.public_key(),
                              BatchRootMessage(static_cast<std::uint32_t>(n), expected),
                              proofs[0].root_signature));
  }
}

TEST(MerkleBatchTest, WrongIndexPathOrCountIsRejected) {
  const SigningKey key = SigningKey::Generate();
  const Blocks blocks = MakeBlocks(key, 7);
  const auto proofs = SignBatch(key, blocks.fields).value();
  for (std::size_t i = 0; i < proofs.size(); ++i) {
    SCOPED_TRACE(i);
    const BlockFields& f = blocks.fields[i];
    for (std::uint32_t j = 0; j < 7; ++j) {
      if (j == i) continue;
      BatchProof p = proofs[i];
      p.leaf_index = j;
      EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), f, p).has_value()) << "index " << j;
    }
    for (std::size_t k = 0; k < proofs[i].path.size(); ++k) {
      BatchProof p = proofs[i];
      p.path[k][3] ^= 0x01;
      EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), f, p).has_value()) << "path " << k;
    }
    BatchProof shorter = proofs[i];
    shorter.path.pop_back();
    EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), f, shorter).has_value());
    BatchProof longer = proofs[i];
    longer.path.push_back(longer.path.front());
    EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), f, longer).has_value());
    BatchProof out_of_range = proofs[i];
    out_of_range.leaf_index = 7;
    EXPECT_EQ(VerifyBatchedBlock(key.public_key(), f, out_of_range).error().code,
              ErrorCode::kInvalidArgument);
    BatchProof other_count = proofs[i];
    other_count.leaf_count = 8;
    EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), f, other_count).has_value());
    // Another block's fields with this block's proof.
    EXPECT_FALSE(
        VerifyBatchedBlock(key.public_key(), blocks.fields[(i + 1) % 7], proofs[i]).has_value());
  }
  BatchProof zero_count = proofs[0];
  zero_count.leaf_count = 0;
  EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), blocks.fields[0], zero_count).has_value());
}

TEST(MerkleBatchTest, LeafMovedToAnotherTreeIsRejected) {
  const SigningKey key = SigningKey::Generate();
  const Blocks a = MakeBlocks(key, 7, 0);
  const Blocks b = MakeBlocks(key, 7, 100);
  const auto proofs_a = SignBatch(key, a.fields).value();
  const auto proofs_b = SignBatch(key, b.fields).value();
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), a.fields[i], proofs_b[i]).has_value());
    // Same path, but the other tree's root signature.
    BatchProof mixed = proofs_a[i];
    mixed.root_signature = proofs_b[i].root_signature;
    EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), a.fields[i], mixed).has_value());
  }
}

TEST(MerkleBatchTest, BatchAndSingleSignaturesAreNotInterchangeable) {
  const SigningKey key = SigningKey::Generate();
  const Blocks blocks = MakeBlocks(key, 1);
  const BatchProof proof = SignBatch(key, blocks.fields).value().at(0);
  EXPECT_TRUE(proof.path.empty());
  EXPECT_FALSE(VerifyBlock(key.public_key(), blocks.fields[0], proof.root_signature).has_value());
  BatchProof forged = proof;
  forged.root_signature = SignBlock(key, blocks.fields[0]).value();
  EXPECT_FALSE(VerifyBatchedBlock(key.public_key(), blocks.fields[0], forged).has_value());
}

TEST(MerkleBatchTest, WrongKeyAndBadInputs) {
  const SigningKey key = SigningKey::Generate();
  const SigningKey other = SigningKey::Generate();
  const Blocks blocks = MakeBlocks(key, 3);
  const auto proofs = SignBatch(key, blocks.fields).value();
  EXPECT_FALSE(VerifyBatchedBlock(other.public_key(), blocks.fields[0], proofs[0]).has_value());
  EXPECT_EQ(SignBatch(key, {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(SignBatch(other, blocks.fields).error().code, ErrorCode::kInvalidArgument);
}

TEST(MerkleBatchTest, GoldenThreeLeafBatch) {
  const auto records = testing::ReadVectorFile("merkle_batch_golden.txt");
  ASSERT_EQ(records.size(), 1U);
  const auto& r = records[0];
  SecretArray<kEd25519SeedBytes> seed;
  ASSERT_TRUE(
      FromHexInto("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed.span())
          .has_value());
  const SigningKey key = SigningKey::FromSeed(seed.span());
  const std::string instance = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  std::vector<std::uint8_t> data(32);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(0xa0 + i);
  std::vector<std::vector<std::uint8_t>> nonces;
  std::vector<BlockFields> fields;
  for (std::uint8_t i = 0; i < 3; ++i) nonces.emplace_back(16, i);
  for (std::uint8_t i = 0; i < 3; ++i) {
    BlockFields f;
    f.instance_id = instance;
    f.nonce = nonces[i];
    f.issued_at_unix_ms = 1700000000000 + i;
    f.kid = key.kid();
    f.data = data;
    fields.push_back(f);
    EXPECT_EQ(ToHex(MerkleLeafHash(CanonicalBlockBytes(f).value().span())),
              r.at("leaf" + std::to_string(i)));
  }
  const auto proofs = SignBatch(key, fields).value();
  EXPECT_EQ(ToHex(proofs[0].root_signature), r.at("root_signature"));
  ASSERT_EQ(proofs[2].path.size(), 1U);
  EXPECT_EQ(ToHex(proofs[2].path[0]), r.at("node01"));
  ASSERT_EQ(proofs[0].path.size(), 2U);
  EXPECT_EQ(ToHex(proofs[0].path[0]), r.at("leaf1"));
  EXPECT_EQ(ToHex(proofs[0].path[1]), r.at("leaf2"));
  const auto root = testing::Hex(r.at("root"));
  MerkleHash root_hash{};
  ASSERT_EQ(root.size(), root_hash.size());
  std::copy(root.begin(), root.end(), root_hash.begin());
  EXPECT_EQ(ToHex(BatchRootMessage(3, root_hash)), r.at("root_message"));
}

TEST(MerkleBatchTest, HashesAreDomainSeparated) {
  const MerkleHash a{};
  const MerkleHash b{};
  std::vector<std::uint8_t> concatenated(64, 0);
  // A leaf whose bytes equal two child hashes must not hash like the node over them.
  EXPECT_NE(MerkleLeafHash(concatenated), MerkleNodeHash(a, b));
  EXPECT_EQ(BatchRootMessage(3, a).size(), 4 + kBatchLabel.size() + 4 + kMerkleHashBytes);
}

}  // namespace
}  // namespace seedwell

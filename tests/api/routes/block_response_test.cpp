// The JSON form of a block: the fixed-layout writer of the hot path must produce exactly the
// compact, key-sorted document nlohmann::json dumps, for every shape of block.
#include "api/routes/block_response.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <string>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

IssuedBlock Block() {
  IssuedBlock block;
  block.instance_id = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";
  block.nonce = {0x01, 0xab, 0xff};
  block.issued_at_unix_ms = 1'796'049'415'571;
  block.kid = "sw1_fdeb4b8f0c1a32666c0aab0adc7d6bc7";
  block.data = BlockData(64);
  for (std::size_t i = 0; i < 64; ++i) block.data.span()[i] = static_cast<std::uint8_t>(i * 7);
  return block;
}

// Canonical checks that |body| is the compact sorted-key dump of itself and returns it parsed.
nlohmann::json Canonical(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed.dump(), body);
  return parsed;
}

TEST(BlockResponseTest, DirectBlockIsTheCanonicalDocument) {
  IssuedBlock block = Block();
  Ed25519Signature signature{};
  signature.fill(0x5a);
  block.signature = signature;
  httplib::Response res;
  WriteJsonBlock(block, res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  const auto doc = Canonical(res.body);
  EXPECT_EQ(doc["format"], "seedwell-block-v1");
  EXPECT_EQ(doc["alg"], "Ed25519");
  EXPECT_EQ(doc["instance_id"], block.instance_id);
  EXPECT_EQ(doc["nonce"], "01abff");
  EXPECT_EQ(doc["issued_at_unix_ms"], block.issued_at_unix_ms);
  EXPECT_EQ(doc["kid"], block.kid);
  EXPECT_EQ(doc["sealed"], false);
  EXPECT_EQ(doc["data"], ToBase64(block.data.span()));
  EXPECT_EQ(doc["signature"], ToBase64(signature));
  EXPECT_FALSE(doc.contains("batch"));
}

TEST(BlockResponseTest, BatchedSealedBlockIsTheCanonicalDocument) {
  for (const std::size_t path_length : {0U, 1U, 5U}) {
    IssuedBlock block = Block();
    block.sealed = true;
    BatchProof proof;
    proof.root_signature.fill(0x11);
    proof.leaf_index = 3;
    proof.leaf_count = 17;
    for (std::size_t i = 0; i < path_length; ++i) {
      MerkleHash h{};
      h.fill(static_cast<std::uint8_t>(i + 1));
      proof.path.push_back(h);
    }
    block.batch = proof;
    httplib::Response res;
    WriteJsonBlock(block, res);
    const auto doc = Canonical(res.body);
    EXPECT_EQ(doc["sealed"], true);
    EXPECT_FALSE(doc.contains("signature"));
    EXPECT_EQ(doc["batch"]["leaf_index"], 3);
    EXPECT_EQ(doc["batch"]["leaf_count"], 17);
    EXPECT_EQ(doc["batch"]["root_signature"], ToBase64(proof.root_signature));
    ASSERT_EQ(doc["batch"]["path"].size(), path_length);
    for (std::size_t i = 0; i < path_length; ++i) {
      EXPECT_EQ(doc["batch"]["path"][i], ToBase64(proof.path[i]));
    }
  }
}

TEST(BlockResponseTest, FieldsThatNeedEscapingAreEscaped) {
  IssuedBlock block = Block();
  block.instance_id = "anonymous:\"quoted\"\\\n";
  block.signature = Ed25519Signature{};
  httplib::Response res;
  WriteJsonBlock(block, res);
  const auto doc = Canonical(res.body);
  EXPECT_EQ(doc["instance_id"], block.instance_id);
}

}  // namespace
}  // namespace seedwell

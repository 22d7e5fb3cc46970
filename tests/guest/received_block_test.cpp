// ReceivedBlock: parsing the octet-stream reply and the seed file, and every verification rule
// (instance, nonce, trusted key, signature, batch proof), each checked to fail when broken.
#include "guest/received_block.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/merkle_batch.h"
#include "crypto/signed_block.h"

namespace seedwell {
namespace {

constexpr std::string_view kInstance = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

struct Fixture {
  SigningKey key = SigningKey::Generate();
  std::vector<std::uint8_t> nonce = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<std::uint8_t> data = std::vector<std::uint8_t>(64, 0xab);

  BlockFields Fields() const {
    return BlockFields{kInstance, nonce, 1700000000000, key.kid(), false, data};
  }

  // Reply builds the service's octet-stream reply for Fields(), signed directly or as a batch.
  HttpReply Reply(bool batch) const {
    HttpReply reply;
    reply.status = 200;
    reply.headers = {{"seedwell-format", "seedwell-block-v1"},
                     {"seedwell-instance-id", std::string(kInstance)},
                     {"seedwell-nonce", ToHex(nonce)},
                     {"seedwell-issued-at-unix-ms", "1700000000000"},
                     {"seedwell-kid", key.kid()},
                     {"seedwell-sealed", "0"}};
    if (batch) {
      const BlockFields other{kInstance, {}, 1, key.kid(), false, data};
      const std::vector<BlockFields> blocks = {other, Fields(), other};
      auto proofs = SignBatch(key, blocks);
      const BatchProof& proof = proofs->at(1);
      std::string path;
      for (const MerkleHash& h : proof.path) path += (path.empty() ? "" : ",") + ToBase64(h);
      reply.headers.emplace_back("seedwell-batch-root-signature", ToBase64(proof.root_signature));
      reply.headers.emplace_back("seedwell-batch-leaf-index", std::to_string(proof.leaf_index));
      reply.headers.emplace_back("seedwell-batch-leaf-count", std::to_string(proof.leaf_count));
      reply.headers.emplace_back("seedwell-batch-path", path);
    } else {
      reply.headers.emplace_back("seedwell-signature", ToBase64(*SignBlock(key, Fields())));
    }
    reply.body = SecretBuffer(data.size());
    std::copy(data.begin(), data.end(), reply.body.data());
    return reply;
  }

  std::string SeedFile() const {
    nlohmann::json doc = {{"format", "seedwell-seed-v1"},
                          {"instance_id", kInstance},
                          {"kid", key.kid()},
                          {"public_key", ToBase64(key.public_key())},
                          {"issued_at_unix_ms", 1700000000000ULL},
                          {"nonce", ToBase64(nonce)},
                          {"sealed", false},
                          {"data", ToBase64(data)},
                          {"signature", ToBase64(*SignBlock(key, Fields()))}};
    return doc.dump();
  }

  std::vector<Ed25519PublicKey> Trusted() const { return {key.public_key()}; }
};

void SetHeader(HttpReply& reply, const std::string& name, const std::string& value) {
  for (auto& [n, v] : reply.headers) {
    if (n == name) v = value;
  }
}

TEST(ReceivedBlockTest, DirectlySignedReplyVerifies) {
  const Fixture f;
  auto block = BlockFromOctetReply(f.Reply(false));
  ASSERT_TRUE(block) << block.error().message;
  EXPECT_EQ(block->data.size(), 64u);
  EXPECT_TRUE(block->signature.has_value());
  EXPECT_TRUE(VerifyReceivedBlock(*block, kInstance, f.nonce, f.Trusted()));
}

TEST(ReceivedBlockTest, BatchedReplyVerifies) {
  const Fixture f;
  auto block = BlockFromOctetReply(f.Reply(true));
  ASSERT_TRUE(block) << block.error().message;
  ASSERT_TRUE(block->batch.has_value());
  EXPECT_EQ(block->batch->leaf_count, 3u);
  EXPECT_TRUE(VerifyReceivedBlock(*block, kInstance, f.nonce, f.Trusted()));
}

TEST(ReceivedBlockTest, OtherInstanceNonceOrKeyIsRefused) {
  const Fixture f;
  auto block = BlockFromOctetReply(f.Reply(false));
  ASSERT_TRUE(block);
  auto other_instance = VerifyReceivedBlock(*block, "another", f.nonce, f.Trusted());
  ASSERT_FALSE(other_instance);
  EXPECT_EQ(other_instance.error().code, ErrorCode::kPermissionDenied);
  const std::vector<std::uint8_t> stale = {9, 9, 9};
  auto other_nonce = VerifyReceivedBlock(*block, kInstance, stale, f.Trusted());
  ASSERT_FALSE(other_nonce);
  EXPECT_EQ(other_nonce.error().code, ErrorCode::kPermissionDenied);
  const std::vector<Ed25519PublicKey> stranger = {SigningKey::Generate().public_key()};
  auto untrusted = VerifyReceivedBlock(*block, kInstance, f.nonce, stranger);
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().code, ErrorCode::kNotFound);
}

TEST(ReceivedBlockTest, AnyChangedFieldBreaksTheSignature) {
  const Fixture f;
  for (bool batch : {false, true}) {
    for (const char* header : {"seedwell-issued-at-unix-ms", "seedwell-sealed", "body"}) {
      HttpReply reply = f.Reply(batch);
      if (std::string(header) == "body") {
        reply.body.data()[0] ^= 1;
      } else {
        SetHeader(reply, header, std::string(header) == "seedwell-sealed" ? "1" : "1700000000001");
      }
      auto block = BlockFromOctetReply(std::move(reply));
      ASSERT_TRUE(block);
      auto verified = VerifyReceivedBlock(*block, kInstance, f.nonce, f.Trusted());
      ASSERT_FALSE(verified) << header;
      EXPECT_EQ(verified.error().code, ErrorCode::kUnauthenticated) << header;
    }
  }
}

TEST(ReceivedBlockTest, MalformedRepliesAreRejectedWithTheirReason) {
  const Fixture f;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"seedwell-format", "something-else"}, {"seedwell-nonce", "zz"},
      {"seedwell-issued-at-unix-ms", "-1"},  {"seedwell-sealed", "yes"},
      {"seedwell-signature", "short"},       {"seedwell-kid", ""},
  };
  for (const auto& [name, value] : cases) {
    HttpReply reply = f.Reply(false);
    SetHeader(reply, name, value);
    EXPECT_FALSE(BlockFromOctetReply(std::move(reply))) << name;
  }
  HttpReply bad_path = f.Reply(true);
  SetHeader(bad_path, "seedwell-batch-path", "AAAA,");
  EXPECT_FALSE(BlockFromOctetReply(std::move(bad_path)));
  HttpReply unsigned_reply = f.Reply(false);
  SetHeader(unsigned_reply, "seedwell-signature", "");
  auto block = BlockFromOctetReply(std::move(unsigned_reply));
  ASSERT_TRUE(block);
  auto verified = VerifyReceivedBlock(*block, kInstance, f.nonce, f.Trusted());
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, ErrorCode::kInvalidArgument);
}

TEST(ReceivedBlockTest, SeedFileVerifiesAndTamperingIsCaught) {
  const Fixture f;
  auto block = BlockFromSeedFile(f.SeedFile());
  ASSERT_TRUE(block) << block.error().message;
  EXPECT_EQ(block->data.size(), 64u);
  EXPECT_TRUE(VerifyReceivedBlock(*block, kInstance, std::nullopt, f.Trusted()));

  nlohmann::json doc = nlohmann::json::parse(f.SeedFile());
  doc["issued_at_unix_ms"] = 1700000000001ULL;
  auto tampered = BlockFromSeedFile(doc.dump());
  ASSERT_TRUE(tampered);
  auto verified = VerifyReceivedBlock(*tampered, kInstance, std::nullopt, f.Trusted());
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, ErrorCode::kUnauthenticated);
}

TEST(ReceivedBlockTest, MalformedSeedFilesAreRejected) {
  const Fixture f;
  EXPECT_FALSE(BlockFromSeedFile("not json"));
  EXPECT_FALSE(BlockFromSeedFile("[]"));
  for (const char* member :
       {"format", "instance_id", "nonce", "data", "signature", "sealed", "issued_at_unix_ms"}) {
    nlohmann::json doc = nlohmann::json::parse(f.SeedFile());
    doc.erase(member);
    EXPECT_FALSE(BlockFromSeedFile(doc.dump())) << member;
  }
  nlohmann::json bad_data = nlohmann::json::parse(f.SeedFile());
  bad_data["data"] = "abc";
  EXPECT_FALSE(BlockFromSeedFile(bad_data.dump()));
  nlohmann::json bad_format = nlohmann::json::parse(f.SeedFile());
  bad_format["format"] = "seedwell-seed-v2";
  EXPECT_FALSE(BlockFromSeedFile(bad_format.dump()));
}

}  // namespace
}  // namespace seedwell

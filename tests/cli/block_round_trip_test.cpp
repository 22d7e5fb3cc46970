// The block's wire form, end to end: a block the service issues and writes (api/routes/
// block_response.h) is parsed by the guest tool's own parser (guest/received_block.h) and verifies
// with the service's public key, directly signed and Merkle-batched. Both sides name the headers
// through crypto/block_wire.h; this test is what keeps that one home honest.
#include <gtest/gtest.h>
#include <httplib.h>

#include <array>
#include <string>

#include "api/routes/block_response.h"
#include "crypto/block_wire.h"
#include "crypto/key_ring.h"
#include "guest/received_block.h"
#include "service/batch_signer.h"
#include "service/issuer.h"
#include "tests/testutil/service_stack.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

constexpr const char* kId = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";

class BlockRoundTripTest : public ::testing::Test, protected testing::ServiceStack {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BuildStack(dir_.path(), {}).has_value());
    auto ring = KeyRing::Open(dir_.path() / "keys");
    ASSERT_TRUE(ring.has_value());
    keys_ = std::move(*ring);
    auto created = RegisterInstance(kId);
    ASSERT_TRUE(created.has_value());
    instance_ = created->instance;
  }

  // Serve issues a block the way GET /v1/entropy does and returns the guest's view of the
  // octet-stream reply: status, headers (as a guest reads them off the wire) and body.
  Result<ReceivedBlock> ServeAndReceive(BatchSigner* batcher, std::span<const std::uint8_t> nonce) {
    Issuer issuer(*dispenser_, *keys_, batcher);
    IssueRequest request;
    request.bytes = 48;
    request.nonce = nonce;
    auto block = issuer.Issue(instance_, request);
    SEEDWELL_RETURN_IF_ERROR(block);
    httplib::Response res;
    WriteOctetBlock(*block, res);
    std::string head = "HTTP/1.1 200 OK";
    for (const auto& [name, value] : res.headers) head += "\r\n" + name + ": " + value;
    HttpReply reply;
    SEEDWELL_TRY(ParseReplyHead(head, reply));
    reply.body = SecretBuffer(res.body.size());
    std::copy(res.body.begin(), res.body.end(), reply.body.span().begin());
    return BlockFromOctetReply(std::move(reply));
  }

  std::array<Ed25519PublicKey, 1> TrustedKeys() const { return {keys_->ActiveKey()->public_key()}; }

  testing::TempDir dir_;
  std::unique_ptr<KeyRing> keys_;
  Instance instance_;
};

TEST_F(BlockRoundTripTest, ADirectlySignedBlockVerifiesInTheGuest) {
  const std::array<std::uint8_t, 4> nonce = {1, 2, 3, 4};
  auto received = ServeAndReceive(nullptr, nonce);
  ASSERT_TRUE(received.has_value()) << received.error().message;
  EXPECT_TRUE(received->signature.has_value());
  EXPECT_EQ(received->data.size(), 48U);
  const auto keys = TrustedKeys();
  EXPECT_TRUE(VerifyReceivedBlock(*received, kId, std::span(nonce), keys).has_value());
}

TEST_F(BlockRoundTripTest, ABatchedBlockVerifiesInTheGuest) {
  BatchSigner batcher;
  const std::array<std::uint8_t, 32> nonce{7};
  auto received = ServeAndReceive(&batcher, nonce);
  ASSERT_TRUE(received.has_value()) << received.error().message;
  EXPECT_TRUE(received->batch.has_value());
  const auto keys = TrustedKeys();
  EXPECT_TRUE(VerifyReceivedBlock(*received, kId, std::span(nonce), keys).has_value());
}

TEST_F(BlockRoundTripTest, TheGuestRefusesABlockWhoseFieldsChangedOnTheWay) {
  const std::array<std::uint8_t, 4> nonce = {1, 2, 3, 4};
  auto received = ServeAndReceive(nullptr, nonce);
  ASSERT_TRUE(received.has_value());
  received->issued_at_unix_ms += 1;  // one field altered after signing
  const auto keys = TrustedKeys();
  EXPECT_EQ(VerifyReceivedBlock(*received, kId, std::span(nonce), keys).error().code,
            ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace seedwell

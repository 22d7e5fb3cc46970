#include "service/issuer.h"

#include <gtest/gtest.h>

#include <array>
#include <thread>
#include <vector>

#include "crypto/encoding.h"
#include "tests/testutil/guest_fixture.h"

namespace seedwell {
namespace {

using testing::kGuestId;

class IssuerTest : public testing::GuestFixture {};

TEST_F(IssuerTest, DirectBlockVerifiesAndBindsEveryField) {
  Issuer issuer(*dispenser_, *keys_, nullptr, [] { return std::uint64_t{1'700'000'000'123}; });
  const std::array<std::uint8_t, 3> nonce = {1, 2, 3};
  IssueRequest request;
  request.bytes = 48;
  request.nonce = nonce;
  auto block = issuer.Issue(instance_, request);
  ASSERT_TRUE(block.has_value()) << block.error().message;
  ASSERT_TRUE(block->signature.has_value());
  EXPECT_FALSE(block->batch.has_value());
  EXPECT_EQ(block->instance_id, kGuestId);
  EXPECT_EQ(block->issued_at_unix_ms, 1'700'000'000'123U);
  EXPECT_EQ(block->data.span().size(), 48U);
  EXPECT_FALSE(block->sealed);
  const Ed25519PublicKey pub = keys_->ActiveKey()->public_key();
  EXPECT_TRUE(VerifyBlock(pub, block->Fields(), *block->signature).has_value());
  BlockFields other = block->Fields();
  const std::array<std::uint8_t, 3> other_nonce = {1, 2, 4};
  other.nonce = other_nonce;
  EXPECT_FALSE(VerifyBlock(pub, other, *block->signature).has_value());
  other = block->Fields();
  other.instance_id = "00000000-0000-4000-8000-000000000000";
  EXPECT_FALSE(VerifyBlock(pub, other, *block->signature).has_value());
}

TEST_F(IssuerTest, ServerPicksANonceWhenTheGuestSendsNone) {
  Issuer issuer(*dispenser_, *keys_, nullptr);
  auto a = issuer.Issue(instance_, IssueRequest{});
  auto b = issuer.Issue(instance_, IssueRequest{});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->nonce.size(), kServerNonceBytes);
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_EQ(a->data.span().size(), 64U);
}

TEST_F(IssuerTest, RefusesBadSizesAndLongNonces) {
  Issuer issuer(*dispenser_, *keys_, nullptr);
  IssueRequest request;
  request.bytes = 0;
  EXPECT_EQ(issuer.Issue(instance_, request).error().code, ErrorCode::kInvalidArgument);
  request.bytes = kMaxIssueBytes + 1;
  EXPECT_EQ(issuer.Issue(instance_, request).error().code, ErrorCode::kInvalidArgument);
  std::vector<std::uint8_t> nonce(kMaxNonceBytes + 1, 7);
  request.bytes = 16;
  request.nonce = nonce;
  EXPECT_EQ(issuer.Issue(instance_, request).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(IssuerTest, RateLimitGivesRetryAfterAndRevokedIsDenied) {
  Issuer issuer(*dispenser_, *keys_, nullptr);
  IssueRequest request;
  request.bytes = 2000;  // the whole burst
  ASSERT_TRUE(issuer.Issue(instance_, request).has_value());
  std::chrono::milliseconds retry{0};
  auto refused = issuer.Issue(instance_, request, &retry);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_GE(retry.count(), 1);
  clock_.Advance(std::chrono::seconds(2));  // refills 2000 bytes
  EXPECT_TRUE(issuer.Issue(instance_, request).has_value());
  Instance revoked = instance_;
  revoked.state = InstanceState::kRevoked;
  EXPECT_EQ(issuer.Issue(revoked, IssueRequest{}).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(IssuerTest, SealsToTheRegisteredKeyOnly) {
  const SealingKeyPair pair = SealingKeyPair::Generate();
  const SealingKeyPair stranger = SealingKeyPair::Generate();
  Instance sealed = instance_;
  sealed.sealing_public_key = ToBase64(pair.public_key());
  Issuer issuer(*dispenser_, *keys_, nullptr);
  auto block = issuer.Issue(sealed, IssueRequest{});
  ASSERT_TRUE(block.has_value()) << block.error().message;
  EXPECT_TRUE(block->sealed);
  EXPECT_EQ(block->data.span().size(), 64 + kSealOverheadBytes);
  EXPECT_TRUE(VerifyBlock(keys_->ActiveKey()->public_key(), block->Fields(), *block->signature));
  auto opened = Open(pair, block->data.span());
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->size(), 64U);
  EXPECT_FALSE(Open(stranger, block->data.span()).has_value());
  IssueRequest naming_other;
  naming_other.recipient = stranger.public_key();
  EXPECT_EQ(issuer.Issue(sealed, naming_other).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(issuer.Issue(instance_, naming_other).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(IssuerTest, ConcurrentBatchedBlocksEachVerify) {
  BatchSigner batcher;
  Issuer issuer(*dispenser_, *keys_, &batcher);
  constexpr int kThreads = 16;
  std::vector<Result<IssuedBlock>> blocks;
  for (int i = 0; i < kThreads; ++i) blocks.emplace_back(Fail(ErrorCode::kInternal, "unset"));
  Instance unlimited = instance_;
  unlimited.rate_limit = RateLimit{1 << 20, 1 << 20};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { blocks[i] = issuer.Issue(unlimited, IssueRequest{}); });
  }
  for (auto& t : threads) t.join();
  const Ed25519PublicKey pub = keys_->ActiveKey()->public_key();
  for (const auto& block : blocks) {
    ASSERT_TRUE(block.has_value());
    ASSERT_TRUE(block->batch.has_value());
    EXPECT_TRUE(VerifyBatchedBlock(pub, block->Fields(), *block->batch).has_value());
    BlockFields tampered = block->Fields();
    tampered.issued_at_unix_ms += 1;
    EXPECT_FALSE(VerifyBatchedBlock(pub, tampered, *block->batch).has_value());
  }
  EXPECT_LE(batcher.batches_signed(), static_cast<std::uint64_t>(kThreads));
}

TEST_F(IssuerTest, BatchSignerGroupsWaitersIntoOneRoot) {
  BatchSigner batcher;
  auto key = keys_->ActiveKey();
  std::vector<MerkleHash> leaves(5);
  for (std::size_t i = 0; i < leaves.size(); ++i) leaves[i].fill(static_cast<std::uint8_t>(i));
  std::vector<Result<BatchProof>> proofs(leaves.size(), Fail(ErrorCode::kInternal, "unset"));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    threads.emplace_back([&, i] { proofs[i] = batcher.Sign(key, leaves[i]); });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    ASSERT_TRUE(proofs[i].has_value());
    auto root =
        RootFromAuditPath(leaves[i], proofs[i]->leaf_index, proofs[i]->leaf_count, proofs[i]->path);
    ASSERT_TRUE(root.has_value());
    EXPECT_TRUE(VerifyEd25519(key->public_key(), BatchRootMessage(proofs[i]->leaf_count, *root),
                              proofs[i]->root_signature));
  }
}

TEST_F(IssuerTest, LoopBlocksShareOneRootSignedAtTheFirstFinish) {
  BatchSigner batcher;
  LoopBatchSigner loop_signer;
  Issuer issuer(*dispenser_, *keys_, &batcher);
  Instance unlimited = instance_;
  unlimited.rate_limit = RateLimit{1 << 20, 1 << 20};
  std::vector<PendingBlock> pending;
  for (int i = 0; i < 5; ++i) {
    auto block = issuer.IssueOnLoop(unlimited, IssueRequest{}, nullptr, loop_signer);
    ASSERT_TRUE(block.has_value()) << block.error().message;
    EXPECT_FALSE(block->block.batch.has_value());  // not signed until a Finish
    pending.push_back(std::move(*block));
  }
  EXPECT_EQ(loop_signer.batches_signed(), 0U);
  const Ed25519PublicKey pub = keys_->ActiveKey()->public_key();
  for (std::size_t i = 0; i < pending.size(); ++i) {
    ASSERT_TRUE(pending[i].Finish().has_value());
    ASSERT_TRUE(pending[i].block.batch.has_value());
    EXPECT_EQ(pending[i].block.batch->leaf_index, i);
    EXPECT_EQ(pending[i].block.batch->leaf_count, 5U);
    EXPECT_TRUE(VerifyBatchedBlock(pub, pending[i].block.Fields(), *pending[i].block.batch));
    BlockFields tampered = pending[i].block.Fields();
    tampered.issued_at_unix_ms += 1;
    EXPECT_FALSE(VerifyBatchedBlock(pub, tampered, *pending[i].block.batch).has_value());
  }
  EXPECT_EQ(loop_signer.batches_signed(), 1U);  // one root for the five
  EXPECT_EQ(batcher.batches_signed(), 0U);
  // The next iteration's block gets a root of its own.
  auto next = issuer.IssueOnLoop(unlimited, IssueRequest{}, nullptr, loop_signer);
  ASSERT_TRUE(next.has_value());
  ASSERT_TRUE(next->Finish().has_value());
  EXPECT_EQ(next->block.batch->leaf_count, 1U);
  EXPECT_EQ(loop_signer.batches_signed(), 2U);
}

TEST_F(IssuerTest, LoopBlocksAreSignedAtOnceWithoutBatching) {
  LoopBatchSigner loop_signer;
  Issuer issuer(*dispenser_, *keys_, nullptr);
  auto block = issuer.IssueOnLoop(instance_, IssueRequest{}, nullptr, loop_signer);
  ASSERT_TRUE(block.has_value());
  ASSERT_TRUE(block->block.signature.has_value());
  ASSERT_TRUE(block->Finish().has_value());
  EXPECT_TRUE(VerifyBlock(keys_->ActiveKey()->public_key(), block->block.Fields(),
                          *block->block.signature));
  EXPECT_EQ(loop_signer.batches_signed(), 0U);
  Instance revoked = instance_;
  revoked.state = InstanceState::kRevoked;
  EXPECT_EQ(issuer.IssueOnLoop(revoked, IssueRequest{}, nullptr, loop_signer).error().code,
            ErrorCode::kPermissionDenied);
}

TEST_F(IssuerTest, LoopBatchSplitsByKeyAndByMaxBatch) {
  LoopBatchSigner loop_signer(/*max_batch=*/2);
  auto first = keys_->ActiveKey();
  auto second = std::make_shared<const SigningKey>(SigningKey::Generate());
  std::vector<MerkleHash> leaves(5);
  for (std::size_t i = 0; i < leaves.size(); ++i) leaves[i].fill(static_cast<std::uint8_t>(i));
  // first, first, first, second, second: roots of 2 + 1 leaves for the first key, 2 for the second.
  std::vector<LoopBatchSigner::Ticket> tickets;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    tickets.push_back(loop_signer.Add(i < 3 ? first : second, leaves[i]));
  }
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    auto proof = loop_signer.Proof(tickets[i]);
    ASSERT_TRUE(proof.has_value());
    auto root = RootFromAuditPath(leaves[i], proof->leaf_index, proof->leaf_count, proof->path);
    ASSERT_TRUE(root.has_value());
    const auto& key = i < 3 ? first : second;
    EXPECT_TRUE(VerifyEd25519(key->public_key(), BatchRootMessage(proof->leaf_count, *root),
                              proof->root_signature));
    EXPECT_EQ(proof->leaf_count, i == 2 ? 1U : 2U);
  }
  EXPECT_EQ(loop_signer.batches_signed(), 3U);
}

}  // namespace
}  // namespace seedwell

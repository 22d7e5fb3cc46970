#include "service/loop_batch_signer.h"

#include <algorithm>
#include <utility>

namespace seedwell {

LoopBatchSigner::LoopBatchSigner(std::size_t max_batch, SigningCounters counters)
    : max_batch_(std::max<std::size_t>(1, max_batch)), counters_(counters) {}

LoopBatchSigner::Ticket LoopBatchSigner::Add(std::shared_ptr<const SigningKey> key,
                                             const MerkleHash& leaf) {
  auto slot = std::make_shared<Slot>();
  slot->key = std::move(key);
  slot->leaf = leaf;
  queued_.push_back(slot);
  return slot;
}

Result<BatchProof> LoopBatchSigner::Proof(const Ticket& ticket) {
  if (!ticket->proof) SignQueued();
  if (!ticket->proof) return Fail(ErrorCode::kInternal, "leaf was never queued for signing");
  return std::move(*ticket->proof);
}

void LoopBatchSigner::SignQueued() {
  // queued_ takes signing_'s emptied storage: both keep their capacity from batch to batch.
  std::vector<Ticket>& queued = signing_;
  queued.swap(queued_);
  std::vector<MerkleHash>& leaves = leaves_;
  std::vector<Ticket>& batch = batch_;
  // One root per key and at most max_batch_ leaves: a key rotation mid-iteration splits the batch.
  for (std::size_t begin = 0; begin < queued.size();) {
    const SigningKey* key = queued[begin]->key.get();
    batch.clear();
    leaves.clear();
    std::size_t end = begin;
    for (; end < queued.size() && batch.size() < max_batch_; ++end) {
      if (queued[end]->key.get() != key) break;
      batch.push_back(queued[end]);
      leaves.push_back(queued[end]->leaf);
    }
    auto proofs = SignLeafHashes(*key, leaves);
    counters_.Count(leaves.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->proof = proofs ? Result<BatchProof>(std::move((*proofs)[i]))
                               : Result<BatchProof>(tl::unexpected(proofs.error()));
      batch[i]->key.reset();
    }
    ++batches_signed_;
    begin = end;
  }
  batch.clear();  // the tickets' last references are their requests'
  queued.clear();
}

}  // namespace seedwell

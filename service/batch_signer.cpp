#include "service/batch_signer.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace seedwell {

BatchSigner::BatchSigner(std::size_t max_batch, SigningCounters counters)
    : max_batch_(std::max<std::size_t>(1, max_batch)), counters_(counters) {}

std::uint64_t BatchSigner::batches_signed() const {
  std::lock_guard lock(mu_);
  return batches_signed_;
}

Result<BatchProof> BatchSigner::Sign(std::shared_ptr<const SigningKey> key,
                                     const MerkleHash& leaf) {
  Waiter self;
  self.key = std::move(key);
  self.leaf = leaf;
  std::unique_lock lock(mu_);
  pending_.push_back(&self);
  while (!self.done) {
    if (leader_active_) {
      signed_.wait(lock);
      continue;
    }
    // Lead one batch: every waiter for the oldest waiter's key, in arrival order.
    leader_active_ = true;
    std::vector<Waiter*> batch;
    const SigningKey* batch_key = pending_.front()->key.get();
    for (auto it = pending_.begin(); it != pending_.end() && batch.size() < max_batch_;) {
      if ((*it)->key.get() == batch_key) {
        batch.push_back(*it);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    std::shared_ptr<const SigningKey> signer = batch.front()->key;
    lock.unlock();
    std::vector<MerkleHash> leaves;
    leaves.reserve(batch.size());
    for (const Waiter* w : batch) leaves.push_back(w->leaf);
    auto proofs = SignLeafHashes(*signer, leaves);
    counters_.Count(leaves.size());
    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = proofs ? Result<BatchProof>(std::move((*proofs)[i]))
                                : Result<BatchProof>(tl::unexpected(proofs.error()));
      batch[i]->done = true;
    }
    ++batches_signed_;
    leader_active_ = false;
    signed_.notify_all();
  }
  return std::move(self.result);
}

}  // namespace seedwell

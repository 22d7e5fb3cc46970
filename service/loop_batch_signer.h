// LoopBatchSigner: the Merkle batch of one event-loop iteration. BatchSigner (batch_signer.h)
// batches the leaves of threads that wait for each other; an event loop cannot wait, so here the
// requests one loop iteration serves each add their leaf, and the first of them to need its proof
// signs every leaf added since the last signing at once (one root per key, at most max_batch
// leaves per root). The tree and proof format are crypto/merkle_batch.h's, the same as
// BatchSigner's, so a guest cannot tell which path signed its block.
//
// Not thread-safe: one LoopBatchSigner belongs to one event-loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/merkle_batch.h"
#include "crypto/result.h"
#include "crypto/signing_key.h"
#include "service/batch_signer.h"

namespace seedwell {

class LoopBatchSigner {
 public:
  // Slot is one leaf waiting for its proof.
  struct Slot {
    std::shared_ptr<const SigningKey> key;
    MerkleHash leaf{};
    std::optional<Result<BatchProof>> proof;  // set once its batch is signed
  };
  // Ticket is a leaf's claim on its proof; it shares ownership of the key until then.
  using Ticket = std::shared_ptr<Slot>;

  // LoopBatchSigner signs at most |max_batch| leaves per root (at least 1) and counts into
  // |counters|.
  explicit LoopBatchSigner(std::size_t max_batch = 4096, SigningCounters counters = {});
  LoopBatchSigner(const LoopBatchSigner&) = delete;
  LoopBatchSigner& operator=(const LoopBatchSigner&) = delete;

  // Add queues |leaf| (built with |key|'s kid) for the next signing and returns its ticket.
  Ticket Add(std::shared_ptr<const SigningKey> key, const MerkleHash& leaf);

  // Proof returns |ticket|'s proof, first signing every leaf queued so far if its own batch is
  // not signed yet. It fails only as SignLeafHashes does (every leaf of that batch then fails).
  Result<BatchProof> Proof(const Ticket& ticket);

  // batches_signed returns how many roots have been signed.
  std::uint64_t batches_signed() const { return batches_signed_; }

 private:
  void SignQueued();

  const std::size_t max_batch_;
  const SigningCounters counters_;
  std::vector<Ticket> queued_;
  // SignQueued's working lists, members so that they keep their capacity between batches.
  std::vector<Ticket> signing_;
  std::vector<Ticket> batch_;
  std::vector<MerkleHash> leaves_;
  std::uint64_t batches_signed_ = 0;
};

}  // namespace seedwell

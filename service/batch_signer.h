// BatchSigner: one Ed25519 signature for many concurrent blocks, as Roughtime does (the tree and
// the proof format are crypto/merkle_batch.h; the wire format is docs/block-format.md section 6).
//
// Theory of operation (group commit): a thread that wants a block signed hands in its leaf hash
// and waits. If no batch is being signed, it becomes the leader: it takes every leaf waiting for
// the same key (up to max_batch), builds the tree, signs the root once, hands each waiter its
// proof and wakes them. Leaves arriving meanwhile wait for the next leader. Under light load a
// batch holds one leaf and costs what a direct signature costs; under heavy load batches grow to
// the number of requests in flight, so the signing cost per response falls with the load and no
// request waits for a timer.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "crypto/merkle_batch.h"
#include "crypto/result.h"
#include "crypto/signing_key.h"
#include "service/metrics.h"

namespace seedwell {

// SigningCounters are where a batch signer counts its work (either may be null): roots signed and
// blocks (leaves) they covered; blocks / batches is the mean batch size.
struct SigningCounters {
  Counter* batches = nullptr;
  Counter* blocks = nullptr;

  // Count records one root signed over |leaves| blocks.
  void Count(std::size_t leaves) const {
    if (batches != nullptr) batches->Increment();
    if (blocks != nullptr) blocks->Increment(static_cast<double>(leaves));
  }
};

class BatchSigner {
 public:
  // BatchSigner signs at most |max_batch| leaves per root (at least 1) and counts into |counters|.
  static constexpr std::size_t kDefaultMaxBatch = 4096;
  explicit BatchSigner(std::size_t max_batch = kDefaultMaxBatch, SigningCounters counters = {});
  BatchSigner(const BatchSigner&) = delete;
  BatchSigner& operator=(const BatchSigner&) = delete;

  // Sign returns the proof of |leaf| (MerkleLeafHash of canonical bytes built with |key|'s kid)
  // in a batch signed by |key|. It blocks until the batch is signed; the caller shares ownership
  // of |key| for that long. Thread-safe; it fails only as SignLeafHashes does.
  Result<BatchProof> Sign(std::shared_ptr<const SigningKey> key, const MerkleHash& leaf);

  // batches_signed returns how many roots have been signed (for tests and metrics).
  std::uint64_t batches_signed() const;

 private:
  struct Waiter {
    std::shared_ptr<const SigningKey> key;
    MerkleHash leaf{};
    bool done = false;
    Result<BatchProof> result = Fail(ErrorCode::kInternal, "not signed");
  };

  const std::size_t max_batch_;
  const SigningCounters counters_;
  mutable std::mutex mu_;
  std::condition_variable signed_;
  std::deque<Waiter*> pending_;
  bool leader_active_ = false;
  std::uint64_t batches_signed_ = 0;
};

}  // namespace seedwell

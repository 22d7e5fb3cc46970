// Issuer: the one place that makes an authenticated entropy block for an instance.
//
// Theory of operation: Issue draws the bytes through the Dispenser (which checks the instance is
// active, charges its rate bucket and counts usage), seals them to the instance's X25519 key when
// it has one, then binds instance id, nonce, issue time, key id, the sealed flag and the bytes as
// sent into the canonical block (docs/block-format.md) and signs it with the key ring's active
// key: directly, or as a leaf of a Merkle batch (BatchSigner) when batching is on. Unsealed
// entropy lives only in wiped memory (BlockData) until the transport encodes it into a response.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/block_wire.h"
#include "crypto/key_ring.h"
#include "crypto/merkle_batch.h"
#include "crypto/result.h"
#include "crypto/sealed_box.h"
#include "crypto/secret_buffer.h"
#include "service/batch_signer.h"
#include "service/dispenser.h"
#include "service/instance.h"
#include "service/loop_batch_signer.h"

namespace seedwell {

// kMaxIssueBytes bounds one block's entropy, whatever the configuration says.
inline constexpr std::size_t kMaxIssueBytes = block_wire::kMaxDataBytes;
// kMaxNonceBytes bounds a guest's nonce; kServerNonceBytes is the size of one the server picks.
inline constexpr std::size_t kMaxNonceBytes = 64;
inline constexpr std::size_t kServerNonceBytes = 16;

// BlockData holds a block's data bytes in wiped memory: inline up to kInlineBytes, else in a
// SecretBuffer. Only the bytes in use are initialised, moved and wiped (a 64-byte block does not
// pay for 4 KiB of memset on every move). Movable, not copyable; a moved-from BlockData is empty.
class BlockData {
 public:
  static constexpr std::size_t kInlineBytes = 4096 + kSealOverheadBytes;
  // BlockData makes |size| zero bytes.
  explicit BlockData(std::size_t size = 0);
  // ~BlockData wipes the bytes in use.
  ~BlockData();
  BlockData(BlockData&& other) noexcept;
  BlockData& operator=(BlockData&& other) noexcept;
  BlockData(const BlockData&) = delete;
  BlockData& operator=(const BlockData&) = delete;

  std::span<std::uint8_t> span();
  std::span<const std::uint8_t> span() const;

 private:
  // TakeFrom moves |other|'s bytes here (this holds none) and leaves |other| empty and wiped.
  void TakeFrom(BlockData& other) noexcept;

  std::size_t size_;
  // Only [0, size_) is initialised when inline: the rest is never read.
  std::array<std::uint8_t, kInlineBytes> inline_;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  SecretBuffer heap_;
};

// IssueRequest is what a transport asks the Issuer for.
struct IssueRequest {
  std::size_t bytes = 64;                    // entropy bytes, 1..kMaxIssueBytes
  std::span<const std::uint8_t> nonce;       // the guest's nonce; empty: the server picks one
  std::optional<X25519PublicKey> recipient;  // a key the guest names; must be its registered one
  UsageTransport transport = UsageTransport::kHttp;  // counted under this transport
};

// IssuedBlock is one signed block: the fields of docs/block-format.md and either a direct
// signature or a batch proof.
struct IssuedBlock {
  std::string instance_id;
  std::vector<std::uint8_t> nonce;
  std::uint64_t issued_at_unix_ms = 0;
  std::string kid;
  bool sealed = false;
  BlockData data;
  std::optional<Ed25519Signature> signature;  // direct signature (batching off)
  std::optional<BatchProof> batch;            // batch proof (batching on)

  // Fields returns views of this block's fields (valid while it lives).
  BlockFields Fields() const;
};

// PendingBlock is a block issued on an event loop whose batch proof is still to be signed by a
// LoopBatchSigner (no ticket: it is already signed). Finish attaches the proof. Movable only.
struct PendingBlock {
  IssuedBlock block;
  LoopBatchSigner::Ticket ticket;
  LoopBatchSigner* signer = nullptr;

  // Finish signs the loop's batch if that is not done yet and attaches this block's proof; it
  // fails only as SignLeafHashes does.
  Result<void> Finish();
};

class Issuer {
 public:
  // UnixMillisFn returns the wall-clock time (injectable for tests).
  using UnixMillisFn = std::function<std::uint64_t()>;

  // Issuer draws through |dispenser| and signs with |keys|' active key; |batcher| (may be null:
  // direct signatures) batches signatures. All must outlive it.
  Issuer(Dispenser& dispenser, KeyRing& keys, BatchSigner* batcher,
         UnixMillisFn now = SystemUnixMillis);

  // Issue makes one block for |instance|. Failures: kInvalidArgument (bytes out of range, nonce
  // too long), kFailedPrecondition (a named recipient key that is not the instance's registered
  // sealing key), kPermissionDenied (revoked), kResourceExhausted (rate limit; the wait goes to
  // |*retry_after| if not null), kUnavailable (DRBG failed closed), kInternal.
  Result<IssuedBlock> Issue(const Instance& instance, const IssueRequest& request,
                            std::chrono::milliseconds* retry_after = nullptr);

  // IssueOnLoop is Issue for an event loop, which must not wait for other threads: with batching
  // on, the block's leaf joins |loop_signer|'s batch and PendingBlock::Finish, called after the
  // loop iteration's other requests were issued, attaches the proof; with batching off the block
  // is signed at once. Errors as Issue's.
  Result<PendingBlock> IssueOnLoop(const Instance& instance, const IssueRequest& request,
                                   std::chrono::milliseconds* retry_after,
                                   LoopBatchSigner& loop_signer);

 private:
  // Prepare is Issue up to the signature: the block, and the key that must sign it.
  Result<IssuedBlock> Prepare(const Instance& instance, const IssueRequest& request,
                              std::chrono::milliseconds* retry_after,
                              std::shared_ptr<const SigningKey>& key);
  Result<void> Sign(IssuedBlock& block, std::shared_ptr<const SigningKey> key);

  Dispenser& dispenser_;
  KeyRing& keys_;
  BatchSigner* batcher_;
  UnixMillisFn now_;
};

}  // namespace seedwell

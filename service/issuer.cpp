#include "service/issuer.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace seedwell {

// NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init): inline_ beyond size_ is never read
BlockData::BlockData(std::size_t size) : size_(size), heap_(size > kInlineBytes ? size : 0) {
  if (size_ <= kInlineBytes) std::memset(inline_.data(), 0, size_);
}

BlockData::~BlockData() {
  if (size_ <= kInlineBytes) sodium_memzero(inline_.data(), size_);
}

// NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init): inline_ beyond size_ is never read
BlockData::BlockData(BlockData&& other) noexcept : size_(0) { TakeFrom(other); }

BlockData& BlockData::operator=(BlockData&& other) noexcept {
  if (this != &other) {
    if (size_ <= kInlineBytes) sodium_memzero(inline_.data(), size_);
    heap_ = SecretBuffer();
    TakeFrom(other);
  }
  return *this;
}

void BlockData::TakeFrom(BlockData& other) noexcept {
  size_ = other.size_;
  if (size_ <= kInlineBytes) {
    std::memcpy(inline_.data(), other.inline_.data(), size_);
    sodium_memzero(other.inline_.data(), size_);
  } else {
    heap_ = std::move(other.heap_);
  }
  other.size_ = 0;
}

std::span<std::uint8_t> BlockData::span() {
  if (size_ > kInlineBytes) return heap_.span();
  return {inline_.data(), size_};
}

std::span<const std::uint8_t> BlockData::span() const {
  if (size_ > kInlineBytes) return heap_.span();
  return {inline_.data(), size_};
}

BlockFields IssuedBlock::Fields() const { return FieldsOf(*this); }

Issuer::Issuer(Dispenser& dispenser, KeyRing& keys, BatchSigner* batcher, UnixMillisFn now)
    : dispenser_(dispenser), keys_(keys), batcher_(batcher), now_(std::move(now)) {}

Result<IssuedBlock> Issuer::Issue(const Instance& instance, const IssueRequest& request,
                                  std::chrono::milliseconds* retry_after) {
  std::shared_ptr<const SigningKey> key;
  auto block = Prepare(instance, request, retry_after, key);
  SEEDWELL_RETURN_IF_ERROR(block);
  SEEDWELL_TRY(Sign(*block, std::move(key)));
  return block;
}

Result<PendingBlock> Issuer::IssueOnLoop(const Instance& instance, const IssueRequest& request,
                                         std::chrono::milliseconds* retry_after,
                                         LoopBatchSigner& loop_signer) {
  std::shared_ptr<const SigningKey> key;
  auto block = Prepare(instance, request, retry_after, key);
  SEEDWELL_RETURN_IF_ERROR(block);
  PendingBlock pending{std::move(*block), nullptr, nullptr};
  if (batcher_ == nullptr) {
    SEEDWELL_TRY(Sign(pending.block, std::move(key)));
    return pending;
  }
  auto leaf = WithCanonicalBlockBytes<MerkleHash>(
      pending.block.Fields(), [](std::span<const std::uint8_t> bytes) -> Result<MerkleHash> {
        return MerkleLeafHash(bytes);
      });
  SEEDWELL_RETURN_IF_ERROR(leaf);
  pending.ticket = loop_signer.Add(std::move(key), *leaf);
  pending.signer = &loop_signer;
  return pending;
}

Result<void> PendingBlock::Finish() {
  if (!ticket) return {};
  auto proof = signer->Proof(ticket);
  ticket.reset();
  SEEDWELL_RETURN_IF_ERROR(proof);
  block.batch = std::move(*proof);
  return {};
}

Result<IssuedBlock> Issuer::Prepare(const Instance& instance, const IssueRequest& request,
                                    std::chrono::milliseconds* retry_after,
                                    std::shared_ptr<const SigningKey>& key) {
  if (request.bytes == 0 || request.bytes > kMaxIssueBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "bytes must be between 1 and " + std::to_string(kMaxIssueBytes));
  }
  if (request.nonce.size() > kMaxNonceBytes) {
    return Fail(ErrorCode::kInvalidArgument, "nonce is longer than 64 bytes");
  }
  // Which key (if any) the block is sealed to: the registered one. A guest naming a key only
  // confirms it; naming another one is refused rather than silently ignored.
  std::optional<X25519PublicKey> recipient;
  if (instance.sealing_public_key) {
    auto registered = ParseX25519PublicKey(*instance.sealing_public_key);
    if (!registered) return Fail(ErrorCode::kInternal, "stored sealing key is invalid");
    recipient = *registered;
  }
  if (request.recipient && (!recipient || *request.recipient != *recipient)) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the named recipient key is not the instance's registered sealing key");
  }

  IssuedBlock block;
  block.instance_id = instance.id;
  if (request.nonce.empty()) {
    block.nonce.resize(kServerNonceBytes);
    SEEDWELL_TRY(dispenser_.Nonce(block.nonce));  // public; a DRBG call, not a system call
  } else {
    block.nonce.assign(request.nonce.begin(), request.nonce.end());
  }
  key = keys_.ActiveKey();
  block.kid = key->kid();
  block.sealed = recipient.has_value();

  if (recipient) {
    BlockData plain(request.bytes);
    if (auto drawn = dispenser_.Draw(instance, plain.span(), request.transport, retry_after);
        !drawn) {
      return tl::unexpected(drawn.error());
    }
    auto box = Seal(*recipient, plain.span());
    SEEDWELL_RETURN_IF_ERROR(box);
    block.data = BlockData(box->size());
    std::copy(box->begin(), box->end(), block.data.span().begin());
  } else {
    block.data = BlockData(request.bytes);
    if (auto drawn = dispenser_.Draw(instance, block.data.span(), request.transport, retry_after);
        !drawn) {
      return tl::unexpected(drawn.error());
    }
  }
  block.issued_at_unix_ms = now_();
  return block;
}

Result<void> Issuer::Sign(IssuedBlock& block, std::shared_ptr<const SigningKey> key) {
  const BlockFields fields = block.Fields();
  if (batcher_ == nullptr) {
    auto signature = SignBlock(*key, fields);
    SEEDWELL_RETURN_IF_ERROR(signature);
    block.signature = *signature;
    return {};
  }
  auto leaf = WithCanonicalBlockBytes<MerkleHash>(
      fields, [](std::span<const std::uint8_t> bytes) -> Result<MerkleHash> {
        return MerkleLeafHash(bytes);
      });
  SEEDWELL_RETURN_IF_ERROR(leaf);
  auto proof = batcher_->Sign(std::move(key), *leaf);
  SEEDWELL_RETURN_IF_ERROR(proof);
  block.batch = std::move(*proof);
  return {};
}

}  // namespace seedwell

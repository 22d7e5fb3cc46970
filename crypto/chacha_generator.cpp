#include "crypto/chacha_generator.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace seedwell {
namespace {

// kZeroNonce is the fixed nonce of KS(): every key is used once, so a constant nonce is safe.
constexpr std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> kZeroNonce{};

// Keystream writes KS(key, out.size()) into |out|.
void Keystream(std::span<std::uint8_t> out, const std::uint8_t* key) {
  crypto_stream_chacha20_ietf(out.data(), out.size(), kZeroNonce.data(), key);
}

static_assert(ChachaGenerator::kKeyBytes == crypto_stream_chacha20_ietf_KEYBYTES);
static_assert(ChachaGenerator::kBufferBytes % 64 == 0, "whole ChaCha20 blocks");
static_assert(ChachaGenerator::kDirectThreshold < ChachaGenerator::kBufferBytes);

}  // namespace

ChachaGenerator::ChachaGenerator(std::span<const std::uint8_t, kKeyBytes> key)
    : state_(kKeyBytes + kBufferBytes) {
  std::memcpy(this->key(), key.data(), kKeyBytes);
}

void ChachaGenerator::Generate(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    if (out.size() >= kDirectThreshold) {
      const std::size_t chunk = std::min(out.size(), kMaxChunkBytes);
      DirectChunk(out.first(chunk));
      out = out.subspan(chunk);
      continue;
    }
    if (available_ == 0) Refill();
    const std::size_t take = std::min(available_, out.size());
    std::uint8_t* from = buffer() + (kBufferBytes - available_);
    std::memcpy(out.data(), from, take);
    // Zero what was handed out now: a later state compromise must not reveal it.
    sodium_memzero(from, take);
    available_ -= take;
    out = out.subspan(take);
  }
}

void ChachaGenerator::Mix(std::span<const std::uint8_t> input) {
  crypto_generichash_state hash;
  crypto_generichash_init(&hash, key(), kKeyBytes, kKeyBytes);
  crypto_generichash_update(&hash, reinterpret_cast<const unsigned char*>(kMixLabel.data()),
                            kMixLabel.size());
  crypto_generichash_update(&hash, input.data(), input.size());
  crypto_generichash_final(&hash, key(), kKeyBytes);
  sodium_memzero(&hash, sizeof(hash));  // the hash state holds the old key
  DiscardBuffer();
}

void ChachaGenerator::Rekey(std::span<const std::uint8_t, kKeyBytes> key) {
  std::memcpy(this->key(), key.data(), kKeyBytes);
  DiscardBuffer();
}

void ChachaGenerator::DiscardBuffer() {
  sodium_memzero(buffer(), kBufferBytes);
  available_ = 0;
}

void ChachaGenerator::Refill() {
  Keystream({buffer(), kBufferBytes}, key());
  std::memcpy(key(), buffer(), kKeyBytes);
  // The new key must not also be output: zero its copy in B.
  sodium_memzero(buffer(), kKeyBytes);
  available_ = kBufferBytes - kKeyBytes;
}

void ChachaGenerator::DirectChunk(std::span<std::uint8_t> out) {
  SecretArray<2 * kKeyBytes> block;
  Keystream(block.span(), key());
  std::memcpy(key(), block.data(), kKeyBytes);
  Keystream(out, block.data() + kKeyBytes);
  // |block| (next key and output key) is wiped by its destructor.
}

}  // namespace seedwell

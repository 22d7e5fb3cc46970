#include "crypto/chacha_generator.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "crypto/chacha20_keystream.h"

namespace seedwell {
namespace {

// Keystream writes KS(key, out.size()) into |out| (chacha20_keystream.h picks the implementation).
void Keystream(std::span<std::uint8_t> out, const std::uint8_t* key) {
  Chacha20Keystream(out, std::span<const std::uint8_t, kChacha20KeyBytes>(key, kChacha20KeyBytes));
}

// WipeHandedOut zeroes bytes just copied to a caller. memset followed by an empty asm that claims
// to read the memory cannot be dropped by the compiler (BoringSSL's OPENSSL_cleanse); unlike
// sodium_memzero it costs no extra calls, and it runs on every buffered draw.
inline void WipeHandedOut(std::uint8_t* bytes, std::size_t n) {
  std::memset(bytes, 0, n);
  asm volatile("" : : "r"(bytes) : "memory");
}

static_assert(ChachaGenerator::kKeyBytes == kChacha20KeyBytes);
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
    std::size_t take = std::min(available_, out.size());
    // Hide take's bound (< kDirectThreshold) from the optimiser: knowing it, GCC inlines the copy
    // and the wipe below as `rep movsq` / `rep stosq`, which cost ~25 ns together for 64 bytes on
    // this project's Xeons against ~5 ns for libc's vector memcpy and memset.
    asm("" : "+r"(take));
    std::uint8_t* from = buffer() + (kBufferBytes - available_);
    std::memcpy(out.data(), from, take);
    // Zero what was handed out now: a later state compromise must not reveal it.
    WipeHandedOut(from, take);
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

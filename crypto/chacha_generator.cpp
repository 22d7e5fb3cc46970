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

// MoveOut copies |n| buffered bytes to the caller and zeroes them in the buffer, so a later state
// compromise cannot reveal them. 16 to 64 bytes (a signed block's 64, a nonce's 16 or 32) move as
// up to four overlapping 16-byte copies and stores of zero: a few instructions, where GCC's inline
// `rep movsq` / `rep stosq` cost ~25 ns together for 64 bytes on this project's Xeons and libc's
// memcpy and memset ~5 ns. Other sizes go to libc, with the bound hidden from the optimiser (it
// would inline them as rep again). The wipe cannot be dropped: an empty asm claims to read the
// memory afterwards (BoringSSL's OPENSSL_cleanse).
inline void MoveOut(std::uint8_t* to, std::uint8_t* from, std::size_t n) {
  static constexpr std::array<std::uint8_t, 16> kZero16{};
  if (n >= 16 && n <= 64) {
    std::memcpy(to, from, 16);
    std::memcpy(to + n - 16, from + n - 16, 16);
    if (n > 32) {
      std::memcpy(to + 16, from + 16, 16);
      std::memcpy(to + n - 32, from + n - 32, 16);
    }
    std::memcpy(from, kZero16.data(), 16);
    std::memcpy(from + n - 16, kZero16.data(), 16);
    if (n > 32) {
      std::memcpy(from + 16, kZero16.data(), 16);
      std::memcpy(from + n - 32, kZero16.data(), 16);
    }
  } else {
    asm("" : "+r"(n));
    std::memcpy(to, from, n);
    std::memset(from, 0, n);
  }
  asm volatile("" : : "r"(from) : "memory");
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
    const std::size_t take = std::min(available_, out.size());
    MoveOut(out.data(), buffer() + (kBufferBytes - available_), take);
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

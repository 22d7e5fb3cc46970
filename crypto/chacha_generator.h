// ChachaGenerator: a deterministic ChaCha20 generator with fast key erasure.
//
// Theory of operation
// -------------------
// This is Bernstein's "fast-key-erasure" generator (https://blog.cr.yp.to/20170723-random.html),
// the construction of the Linux CRNG and of OpenBSD's arc4random, on ChaCha20 (the IETF variant of
// RFC 8439: 32-byte key, 96-bit nonce, 32-bit block counter).
//
// Notation: KS(k, n) is the first n bytes of the ChaCha20 keystream under key k with the all-zero
// 12-byte nonce and initial block counter 0 (Chacha20Keystream, chacha20_keystream.h: an AVX-512
// kernel where the CPU has one, else libsodium's crypto_stream_chacha20_ietf; both give the same
// bytes). A fixed nonce is safe because every key is used for exactly one KS call and then erased.
//
// State: a key K (32 bytes), a buffer B (kBufferBytes = 1024 bytes) and a count `a` of unread bytes
// at the end of B. Both live in one SecretBuffer (locked, guarded, wiped on free).
//
//   Refill:        B = KS(K, 1024); K = B[0..32); B[0..32) = 0; a = 992.
//   Buffered take: m <= a bytes are copied from B[1024 - a, 1024 - a + m) to the caller, those
//                  bytes of B are zeroed, and a -= m.
//   Direct chunk:  T = KS(K, 64); K = T[0..32); K' = T[32..64); out[0..c) = KS(K', c); T and K'
//                  are zeroed. The keystream is written straight into the caller's buffer.
//   Generate(out): while r = bytes still to fill > 0:
//                    if r >= kDirectThreshold (512): direct chunk of c = min(r, kMaxChunkBytes);
//                    else: if a == 0 then Refill; buffered take of m = min(a, r).
//   Mix(x):        K = BLAKE2b-256(key = K, message = kMixLabel || x); B = 0; a = 0.
//   Rekey(k):      K = k; B = 0; a = 0.
//
// Invariants: no output byte is ever handed out twice, and nothing that was handed out stays in
// memory (buffered bytes are zeroed as they leave; direct output is never buffered). After any call
// returns, the key that produced its output is gone, so a later compromise of the state does not
// reveal earlier output (forward secrecy). Chunking bounds one key's use to kMaxChunkBytes + 64
// bytes, far below ChaCha20's 2^38-byte limit per (key, nonce).
//
// This is not an SP 800-90A mechanism; no FIPS claim is made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/secret_buffer.h"

namespace seedwell {

// ChachaGenerator is the fast-key-erasure generator described above. It is not thread-safe: the
// DRBG gives each thread its own. It never fails once constructed.
class ChachaGenerator {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  static constexpr std::size_t kBufferBytes = 1024;
  static constexpr std::size_t kDirectThreshold = 512;
  static constexpr std::size_t kMaxChunkBytes = std::size_t{64} * 1024;
  // kMixLabel domain-separates Mix's hash from any other use of BLAKE2b in seedwell.
  static constexpr std::string_view kMixLabel = "seedwell chacha-generator mix v1";

  // ChachaGenerator starts with |key| as K and an empty buffer. The caller keeps ownership of
  // |key| and should wipe it.
  explicit ChachaGenerator(std::span<const std::uint8_t, kKeyBytes> key);

  ChachaGenerator(const ChachaGenerator&) = delete;
  ChachaGenerator& operator=(const ChachaGenerator&) = delete;
  ChachaGenerator(ChachaGenerator&&) = delete;
  ChachaGenerator& operator=(ChachaGenerator&&) = delete;
  ~ChachaGenerator() = default;

  // Generate fills all of |out| with output (any length, including zero) and erases the key that
  // produced it.
  void Generate(std::span<std::uint8_t> out);

  // Mix replaces K with a keyed BLAKE2b hash of K and |input| and discards the buffer, so the new
  // state depends on both the old state and |input|. Used to add seeds.
  void Mix(std::span<const std::uint8_t> input);

  // Rekey replaces K with |key| and discards the buffer.
  void Rekey(std::span<const std::uint8_t, kKeyBytes> key);

  // BufferedBytes returns how many unread output bytes the buffer holds (`a` above).
  std::size_t BufferedBytes() const { return available_; }

  // BufferForTesting exposes B so tests can check that handed-out bytes were zeroed.
  std::span<const std::uint8_t> BufferForTesting() const {
    return state_.span().subspan(kKeyBytes, kBufferBytes);
  }

 private:
  std::uint8_t* key() { return state_.data(); }
  std::uint8_t* buffer() { return state_.data() + kKeyBytes; }
  void DiscardBuffer();
  void Refill();
  void DirectChunk(std::span<std::uint8_t> out);

  SecretBuffer state_;  // K (kKeyBytes) followed by B (kBufferBytes)
  std::size_t available_ = 0;
};

}  // namespace seedwell

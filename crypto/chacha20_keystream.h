// Chacha20Keystream: the raw ChaCha20 keystream (RFC 8439, IETF variant) under a key with the
// all-zero nonce, on the fastest implementation this CPU runs.
//
// Theory of operation
// -------------------
// KS(k, n) is the first n bytes of the ChaCha20 keystream under key k, 96-bit nonce 0 and initial
// block counter 0: exactly libsodium's crypto_stream_chacha20_ietf(out, n, zero_nonce, k). It is
// the only primitive the fast-key-erasure generator (chacha_generator.h) needs, and its cost bounds
// the generator's: a 64-byte draw pays 1/15.5 of a 1 KiB refill, bulk output pays the keystream
// itself.
//
// Two implementations, chosen once per process:
//  - kAvx512: sixteen blocks (1 KiB) per pass, one 512-bit register per state word, the layout of
//    OpenSSL's ChaCha20_16x (crypto/chacha/asm/chacha-x86_64.pl) written with intrinsics. It runs
//    where the CPU has AVX-512F and AVX-512BW and the OS saves the ZMM state. The key is read from
//    the caller's buffer and the output written straight to the caller's buffer, the last partial
//    block with a masked store: no keystream or key is copied to the stack on purpose (the
//    compiler keeps the state in the 32 vector registers), and the vector registers are cleared
//    before return.
//  - kPortable: libsodium (its own SSSE3/AVX2 code where available), everywhere else, and under
//    Valgrind (which hides AVX-512 from CPUID).
// Both are checked against each other and the RFC 8439 vectors in tests/crypto.
//
// Limits: one call may produce at most kMaxKeystreamBytes (the 32-bit block counter starts at 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace seedwell {

// kChacha20KeyBytes is the ChaCha20 key size.
inline constexpr std::size_t kChacha20KeyBytes = 32;
// kMaxKeystreamBytes bounds one Chacha20Keystream call: 2^32 blocks of 64 bytes.
inline constexpr std::uint64_t kMaxKeystreamBytes = std::uint64_t{64} << 32;

// KeystreamImpl names an implementation of Chacha20Keystream.
enum class KeystreamImpl {
  kAvx512,    // 16 blocks per pass in 512-bit registers
  kPortable,  // libsodium's crypto_stream_chacha20_ietf
};

// Chacha20Keystream writes KS(|key|, out.size()) into |out| with the implementation
// ActiveKeystreamImpl() names. |out| may be empty; its size must not exceed kMaxKeystreamBytes, and
// it must not overlap |key| (the AVX-512 kernel rereads the key in every pass). It never fails.
void Chacha20Keystream(std::span<std::uint8_t> out,
                       std::span<const std::uint8_t, kChacha20KeyBytes> key);

// Chacha20KeystreamWith is Chacha20Keystream on a given implementation, for tests and benchmarks;
// it returns false, leaving |out| untouched, if this CPU cannot run |impl|.
bool Chacha20KeystreamWith(KeystreamImpl impl, std::span<std::uint8_t> out,
                           std::span<const std::uint8_t, kChacha20KeyBytes> key);

// ActiveKeystreamImpl returns the implementation Chacha20Keystream uses in this process.
KeystreamImpl ActiveKeystreamImpl();

// KeystreamImplName returns "avx512" or "portable", for logs, status and benchmarks.
std::string_view KeystreamImplName(KeystreamImpl impl);

}  // namespace seedwell

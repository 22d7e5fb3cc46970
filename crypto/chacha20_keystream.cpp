#include "crypto/chacha20_keystream.h"

#include <sodium.h>

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12's AVX-512 intrinsics trip -Wmaybe-uninitialized on their own _mm512_undefined_epi32()
// (GCC bug 105593); the warning points into the header, so silence it there only.
#if defined(__clang__)
#include <immintrin.h>
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
#define SEEDWELL_HAVE_AVX512_KERNEL 1
#endif

namespace seedwell {
namespace {

constexpr std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> kZeroNonce{};
static_assert(kChacha20KeyBytes == crypto_stream_chacha20_ietf_KEYBYTES);

void PortableKeystream(std::span<std::uint8_t> out, const std::uint8_t* key) {
  if (out.empty()) return;  // an empty span's data() may be null, which libsodium may not take
  crypto_stream_chacha20_ietf(out.data(), out.size(), kZeroNonce.data(), key);
}

#if defined(SEEDWELL_HAVE_AVX512_KERNEL)

// ------------------------------------------------------------------------------------------
// AVX-512: sixteen blocks per pass. Register x[i] holds state word i of blocks 0..15 (lane j is
// block j of the pass), so a quarter round is four vector operations on whole registers.
// ------------------------------------------------------------------------------------------

#define SEEDWELL_AVX512 __attribute__((target("avx512f,avx512bw"), always_inline)) inline

SEEDWELL_AVX512 void QuarterRound(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
  a = _mm512_add_epi32(a, b);
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16);
  c = _mm512_add_epi32(c, d);
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12);
  a = _mm512_add_epi32(a, b);
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);
  c = _mm512_add_epi32(c, d);
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);
}

// KeyWord broadcasts key word |i| (little-endian, RFC 8439 section 2.3) straight from the caller's
// buffer. The load is a volatile asm so the compiler cannot keep a broadcast key word alive
// across the rounds and spill it to the stack: it is loaded where it is used, twice per pass.
SEEDWELL_AVX512 __m512i KeyWord(const std::uint8_t* key, std::size_t i) {
  __m512i word;
  asm volatile("vpbroadcastd %1, %0"
               : "=v"(word)
               : "m"(*reinterpret_cast<const std::uint32_t*>(key + 4 * i)));
  return word;
}

// StoreBlock writes |v| (one 64-byte block) at |out|, of which only |room| bytes may be written.
SEEDWELL_AVX512 void StoreBlock(std::uint8_t* out, std::size_t room, __m512i v) {
  if (room >= 64) {
    _mm512_storeu_si512(out, v);
  } else if (room > 0) {
    _mm512_mask_storeu_epi8(out, (__mmask64{1} << room) - 1, v);
  }
}

// Transpose4 turns words 4g..4g+3 (x0..x3, one block per 32-bit lane) into y0..y3, where 128-bit
// lane L of yb holds those four words of block 4L + b.
SEEDWELL_AVX512 void Transpose4(__m512i& x0, __m512i& x1, __m512i& x2, __m512i& x3) {
  const __m512i t0 = _mm512_unpacklo_epi32(x0, x1);  // x0.b0 x1.b0 x0.b1 x1.b1 (per 128 bits)
  const __m512i t1 = _mm512_unpackhi_epi32(x0, x1);  // x0.b2 x1.b2 x0.b3 x1.b3
  const __m512i t2 = _mm512_unpacklo_epi32(x2, x3);
  const __m512i t3 = _mm512_unpackhi_epi32(x2, x3);
  x0 = _mm512_unpacklo_epi64(t0, t2);  // words 4g..4g+3 of block 4L
  x1 = _mm512_unpackhi_epi64(t0, t2);  // of block 4L + 1
  x2 = _mm512_unpacklo_epi64(t1, t3);  // of block 4L + 2
  x3 = _mm512_unpackhi_epi64(t1, t3);  // of block 4L + 3
}

// StoreLanes takes y0..y3 = words 0-3, 4-7, 8-11, 12-15 of blocks b, 4 + b, 8 + b, 12 + b (one
// 128-bit lane each, from Transpose4), gathers each block's four lanes and stores the blocks.
SEEDWELL_AVX512 void StoreLanes(std::uint8_t* out, std::size_t room, std::size_t b, __m512i y0,
                                __m512i y1, __m512i y2, __m512i y3) {
  const __m512i a = _mm512_shuffle_i32x4(y0, y1, 0x44);  // y0.L0 y0.L1 y1.L0 y1.L1
  const __m512i c = _mm512_shuffle_i32x4(y0, y1, 0xee);  // y0.L2 y0.L3 y1.L2 y1.L3
  const __m512i d = _mm512_shuffle_i32x4(y2, y3, 0x44);  // y2.L0 y2.L1 y3.L0 y3.L1
  const __m512i e = _mm512_shuffle_i32x4(y2, y3, 0xee);  // y2.L2 y2.L3 y3.L2 y3.L3
  const std::size_t o0 = 64 * b, o1 = 64 * (4 + b), o2 = 64 * (8 + b), o3 = 64 * (12 + b);
  StoreBlock(out + o0, room > o0 ? room - o0 : 0, _mm512_shuffle_i32x4(a, d, 0x88));  // lane 0
  StoreBlock(out + o1, room > o1 ? room - o1 : 0, _mm512_shuffle_i32x4(a, d, 0xdd));  // lane 1
  StoreBlock(out + o2, room > o2 ? room - o2 : 0, _mm512_shuffle_i32x4(c, e, 0x88));  // lane 2
  StoreBlock(out + o3, room > o3 ? room - o3 : 0, _mm512_shuffle_i32x4(c, e, 0xdd));  // lane 3
}

// ClearVectorRegisters zeroes every vector register the kernel may have left key-derived state in.
__attribute__((target("avx512f"))) void ClearVectorRegisters() {
  // vzeroall clears zmm0..zmm15 whole; zmm16..zmm31 need explicit writes.
  asm volatile(
      "vzeroall\n\t"
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
      "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
      "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
      "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
      "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
      "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
      "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
      "vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
      "vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
      "vpxord %%zmm26, %%zmm26, %%zmm26\n\t"
      "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
      "vpxord %%zmm28, %%zmm28, %%zmm28\n\t"
      "vpxord %%zmm29, %%zmm29, %%zmm29\n\t"
      "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"
      "vpxord %%zmm31, %%zmm31, %%zmm31\n\t" ::
          : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
            "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19",
            "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28",
            "xmm29", "xmm30", "xmm31");
}

// Avx512Keystream writes KS(key, len) to |out|, 1 KiB (sixteen blocks) per pass.
__attribute__((target("avx512f,avx512bw"), noinline)) void Avx512Keystream(
    std::uint8_t* out, std::size_t len, const std::uint8_t* key) {
  const __m512i c0 = _mm512_set1_epi32(0x61707865);  // "expand 32-byte k"
  const __m512i c1 = _mm512_set1_epi32(0x3320646e);
  const __m512i c2 = _mm512_set1_epi32(0x79622d32);
  const __m512i c3 = _mm512_set1_epi32(0x6b206574);
  __m512i counter = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (std::size_t done = 0; done < len; done += 1024) {
    __m512i x0 = c0, x1 = c1, x2 = c2, x3 = c3;
    __m512i x4 = KeyWord(key, 0), x5 = KeyWord(key, 1), x6 = KeyWord(key, 2), x7 = KeyWord(key, 3);
    __m512i x8 = KeyWord(key, 4), x9 = KeyWord(key, 5), x10 = KeyWord(key, 6),
            x11 = KeyWord(key, 7);
    __m512i x12 = counter, x13 = _mm512_setzero_si512(), x14 = _mm512_setzero_si512(),
            x15 = _mm512_setzero_si512();
    for (int round = 0; round < 10; ++round) {
      QuarterRound(x0, x4, x8, x12);
      QuarterRound(x1, x5, x9, x13);
      QuarterRound(x2, x6, x10, x14);
      QuarterRound(x3, x7, x11, x15);
      QuarterRound(x0, x5, x10, x15);
      QuarterRound(x1, x6, x11, x12);
      QuarterRound(x2, x7, x8, x13);
      QuarterRound(x3, x4, x9, x14);
    }
    // Feed-forward: add the input state back (words 13..15, the nonce, are zero).
    x0 = _mm512_add_epi32(x0, c0);
    x1 = _mm512_add_epi32(x1, c1);
    x2 = _mm512_add_epi32(x2, c2);
    x3 = _mm512_add_epi32(x3, c3);
    x4 = _mm512_add_epi32(x4, KeyWord(key, 0));
    x5 = _mm512_add_epi32(x5, KeyWord(key, 1));
    x6 = _mm512_add_epi32(x6, KeyWord(key, 2));
    x7 = _mm512_add_epi32(x7, KeyWord(key, 3));
    x8 = _mm512_add_epi32(x8, KeyWord(key, 4));
    x9 = _mm512_add_epi32(x9, KeyWord(key, 5));
    x10 = _mm512_add_epi32(x10, KeyWord(key, 6));
    x11 = _mm512_add_epi32(x11, KeyWord(key, 7));
    x12 = _mm512_add_epi32(x12, counter);
    counter = _mm512_add_epi32(counter, _mm512_set1_epi32(16));

    Transpose4(x0, x1, x2, x3);
    Transpose4(x4, x5, x6, x7);
    Transpose4(x8, x9, x10, x11);
    Transpose4(x12, x13, x14, x15);
    const std::size_t room = len - done;
    std::uint8_t* dst = out + done;
    StoreLanes(dst, room, 0, x0, x4, x8, x12);  // blocks 0, 4, 8, 12
    StoreLanes(dst, room, 1, x1, x5, x9, x13);  // blocks 1, 5, 9, 13
    StoreLanes(dst, room, 2, x2, x6, x10, x14);
    StoreLanes(dst, room, 3, x3, x7, x11, x15);
  }
}

bool CpuRunsAvx512() {
  __builtin_cpu_init();
  // libgcc's check also requires the OS to save the ZMM state (XCR0), not only the CPUID bits.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}

#endif  // SEEDWELL_HAVE_AVX512_KERNEL

KeystreamImpl DetectImpl() {
#if defined(SEEDWELL_HAVE_AVX512_KERNEL)
  if (CpuRunsAvx512()) return KeystreamImpl::kAvx512;
#endif
  return KeystreamImpl::kPortable;
}

}  // namespace

KeystreamImpl ActiveKeystreamImpl() {
  static const KeystreamImpl impl = DetectImpl();
  return impl;
}

bool Chacha20KeystreamWith(KeystreamImpl impl, std::span<std::uint8_t> out,
                           std::span<const std::uint8_t, kChacha20KeyBytes> key) {
  switch (impl) {
    case KeystreamImpl::kAvx512:
#if defined(SEEDWELL_HAVE_AVX512_KERNEL)
      if (!CpuRunsAvx512()) return false;
      if (!out.empty()) {
        Avx512Keystream(out.data(), out.size(), key.data());
        ClearVectorRegisters();
      }
      return true;
#else
      return false;
#endif
    case KeystreamImpl::kPortable:
      PortableKeystream(out, key.data());
      return true;
  }
  return false;
}

void Chacha20Keystream(std::span<std::uint8_t> out,
                       std::span<const std::uint8_t, kChacha20KeyBytes> key) {
#if defined(SEEDWELL_HAVE_AVX512_KERNEL)
  if (ActiveKeystreamImpl() == KeystreamImpl::kAvx512) {
    if (!out.empty()) {
      Avx512Keystream(out.data(), out.size(), key.data());
      ClearVectorRegisters();
    }
    return;
  }
#endif
  PortableKeystream(out, key.data());
}

std::string_view KeystreamImplName(KeystreamImpl impl) {
  switch (impl) {
    case KeystreamImpl::kAvx512:
      return "avx512";
    case KeystreamImpl::kPortable:
      return "portable";
  }
  return "unknown";
}

}  // namespace seedwell

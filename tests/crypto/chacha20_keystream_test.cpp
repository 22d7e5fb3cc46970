#include "crypto/chacha20_keystream.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Key = std::array<std::uint8_t, kChacha20KeyBytes>;
constexpr std::uint8_t kGuard = 0xEE;

// Implementations lists every implementation this CPU runs.
std::vector<KeystreamImpl> Implementations() {
  std::vector<KeystreamImpl> impls;
  const Key key{};
  std::array<std::uint8_t, 1> probe{};
  for (KeystreamImpl impl : {KeystreamImpl::kAvx512, KeystreamImpl::kPortable}) {
    if (Chacha20KeystreamWith(impl, probe, key)) impls.push_back(impl);
  }
  return impls;
}

// Keystream returns KS(key, len) from |impl|, checking that nothing past |len| was written.
Bytes Keystream(KeystreamImpl impl, const Key& key, std::size_t len) {
  Bytes out(len + 64, kGuard);
  EXPECT_TRUE(Chacha20KeystreamWith(impl, std::span(out.data(), len), key));
  for (std::size_t i = len; i < out.size(); ++i) {
    EXPECT_EQ(out[i], kGuard) << KeystreamImplName(impl) << ": wrote past " << len;
  }
  out.resize(len);
  return out;
}

TEST(Chacha20KeystreamTest, PortableIsAlwaysAvailable) {
  const auto impls = Implementations();
  ASSERT_FALSE(impls.empty());
  EXPECT_EQ(impls.back(), KeystreamImpl::kPortable);
  EXPECT_EQ(KeystreamImplName(KeystreamImpl::kAvx512), "avx512");
  EXPECT_EQ(KeystreamImplName(KeystreamImpl::kPortable), "portable");
}

TEST(Chacha20KeystreamTest, ActiveImplementationIsTheFastestAvailable) {
  EXPECT_EQ(ActiveKeystreamImpl(), Implementations().front());
}

// The RFC 8439 vectors with the all-zero nonce: their keystream starts at block COUNTER, so it is
// bytes [64 * COUNTER, 64 * COUNTER + n) of KS(KEY, ...).
TEST(Chacha20KeystreamTest, Rfc8439VectorsWithTheZeroNonce) {
  int checked = 0;
  for (const auto& r : testing::ReadVectorFile("chacha20_rfc8439.txt", ":")) {
    if (r.at("NONCE") != std::string(24, '0')) continue;
    const Bytes key_bytes = testing::Hex(r.at("KEY"));
    Key key{};
    std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
    const std::size_t skip = 64 * std::stoul(r.at("COUNTER"));
    const Bytes in = testing::Hex(r.at("IN"));
    const Bytes want = testing::Hex(r.at("OUT"));
    for (KeystreamImpl impl : Implementations()) {
      const Bytes ks = Keystream(impl, key, skip + in.size());
      for (std::size_t i = 0; i < in.size(); ++i) {
        ASSERT_EQ(in[i] ^ ks[skip + i], want[i]) << KeystreamImplName(impl) << " byte " << i;
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

// Every implementation agrees with libsodium at every length across three 16-block passes (every
// partial-block and partial-pass case of the AVX-512 kernel), and at long lengths.
TEST(Chacha20KeystreamTest, MatchesLibsodiumAtEveryLength) {
  static constexpr std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> kZeroNonce{};
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 3 * 1024 + 1; ++n) lengths.push_back(n);
  for (std::size_t n : {65535u, 65536u, 65537u, (1u << 20) + 17}) lengths.push_back(n);
  Key key{};
  for (std::size_t n : lengths) {
    randombytes_buf(key.data(), key.size());
    Bytes want(n + 1);
    crypto_stream_chacha20_ietf(want.data(), n, kZeroNonce.data(), key.data());
    want.resize(n);
    for (KeystreamImpl impl : Implementations()) {
      ASSERT_EQ(Keystream(impl, key, n), want) << KeystreamImplName(impl) << " length " << n;
    }
    Bytes active(n + 1, kGuard);
    Chacha20Keystream(std::span(active.data(), n), key);
    EXPECT_EQ(active[n], kGuard);
    active.resize(n);
    ASSERT_EQ(active, want) << "Chacha20Keystream, length " << n;
  }
}

TEST(Chacha20KeystreamTest, DifferentKeysGiveDifferentStreams) {
  Key a{}, b{};
  b[31] = 1;
  for (KeystreamImpl impl : Implementations()) {
    EXPECT_NE(Keystream(impl, a, 1024), Keystream(impl, b, 1024)) << KeystreamImplName(impl);
  }
}

TEST(Chacha20KeystreamTest, EmptyOutputIsANoOp) {
  const Key key{};
  for (KeystreamImpl impl : Implementations()) {
    EXPECT_TRUE(Chacha20KeystreamWith(impl, {}, key));
  }
  Chacha20Keystream({}, key);
}

}  // namespace
}  // namespace seedwell

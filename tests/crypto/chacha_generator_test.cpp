#include "crypto/chacha_generator.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

using Bytes = std::vector<std::uint8_t>;

bool AllZero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// ---------------------------------------------------------------------------------------------
// RFC 8439 vectors, through the libsodium calls the generator and the self-test use.
// ---------------------------------------------------------------------------------------------

TEST(Chacha20Rfc8439Test, EveryPrefixLengthOutOfPlaceAndInPlace) {
  const auto records = testing::ReadVectorFile("chacha20_rfc8439.txt", ":");
  ASSERT_EQ(records.size(), 10u);
  std::size_t longest = 0;
  for (const auto& r : records) {
    const Bytes key = testing::Hex(r.at("KEY"));
    const Bytes nonce = testing::Hex(r.at("NONCE"));
    const auto counter = static_cast<std::uint32_t>(std::stoul(r.at("COUNTER")));
    const Bytes in = testing::Hex(r.at("IN"));
    const Bytes want = testing::Hex(r.at("OUT"));
    ASSERT_EQ(key.size(), 32u);
    ASSERT_EQ(nonce.size(), 12u);
    ASSERT_EQ(in.size(), want.size());
    longest = std::max(longest, in.size());
    for (std::size_t len = 0; len <= in.size(); ++len) {
      Bytes out(len + 1, 0xEE);  // one guard byte past the end must stay untouched
      crypto_stream_chacha20_ietf_xor_ic(out.data(), in.data(), len, nonce.data(), counter,
                                         key.data());
      ASSERT_TRUE(
          std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(len), want.begin()))
          << r.at("KEY") << " length " << len;
      ASSERT_EQ(out[len], 0xEE);
      Bytes buf(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(len));
      buf.reserve(1);  // libsodium's pointers are declared non-null, even at length 0
      crypto_stream_chacha20_ietf_xor_ic(buf.data(), buf.data(), len, nonce.data(), counter,
                                         key.data());
      ASSERT_TRUE(std::equal(buf.begin(), buf.end(), want.begin())) << "in place, length " << len;
    }
  }
  EXPECT_GE(longest, 300u);
}

TEST(Chacha20Rfc8439Test, WrongKeyDoesNotMatch) {
  const auto records = testing::ReadVectorFile("chacha20_rfc8439.txt", ":");
  ASSERT_FALSE(records.empty());
  const auto& r = records.front();
  Bytes key = testing::Hex(r.at("KEY"));
  key[31] ^= 1;
  const Bytes nonce = testing::Hex(r.at("NONCE"));
  const Bytes in = testing::Hex(r.at("IN"));
  Bytes out(in.size());
  crypto_stream_chacha20_ietf_xor_ic(out.data(), in.data(), in.size(), nonce.data(),
                                     static_cast<std::uint32_t>(std::stoul(r.at("COUNTER"))),
                                     key.data());
  EXPECT_NE(out, testing::Hex(r.at("OUT")));
}

// ---------------------------------------------------------------------------------------------
// A reference model of the documented construction, written from the header's description.
// ---------------------------------------------------------------------------------------------

class ReferenceGenerator {
 public:
  explicit ReferenceGenerator(const std::array<std::uint8_t, 32>& key) : key_(key) {}
  void Mix(std::span<const std::uint8_t> input) {
    Bytes message(ChachaGenerator::kMixLabel.begin(), ChachaGenerator::kMixLabel.end());
    message.insert(message.end(), input.begin(), input.end());
    crypto_generichash(key_.data(), 32, message.data(), message.size(), key_.data(), 32);
    available_ = 0;
  }
  Bytes Generate(std::size_t n) {
    Bytes out;
    while (out.size() < n) {
      const std::size_t r = n - out.size();
      if (r >= 512) {
        const std::size_t c = std::min<std::size_t>(r, 65536);
        Bytes t = Ks(key_.data(), 64);
        std::copy(t.begin(), t.begin() + 32, key_.begin());
        Bytes chunk = Ks(t.data() + 32, c);
        out.insert(out.end(), chunk.begin(), chunk.end());
        continue;
      }
      if (available_ == 0) {
        buffer_ = Ks(key_.data(), 1024);
        std::copy(buffer_.begin(), buffer_.begin() + 32, key_.begin());
        available_ = 992;
      }
      const std::size_t m = std::min(available_, r);
      const auto from = buffer_.begin() + static_cast<std::ptrdiff_t>(1024 - available_);
      out.insert(out.end(), from, from + static_cast<std::ptrdiff_t>(m));
      available_ -= m;
    }
    return out;
  }

 private:
  static Bytes Ks(const std::uint8_t* key, std::size_t n) {
    Bytes out(n);
    const std::array<std::uint8_t, 12> nonce{};
    crypto_stream_chacha20_ietf(out.data(), n, nonce.data(), key);
    return out;
  }
  std::array<std::uint8_t, 32> key_;
  Bytes buffer_;
  std::size_t available_ = 0;
};

std::array<std::uint8_t, 32> TestKey(std::uint8_t first) {
  std::array<std::uint8_t, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(first + i);
  return key;
}

TEST(ChachaGeneratorTest, MatchesReferenceModelOverMixedRequestSizes) {
  EnsureSodium();
  ChachaGenerator generator(TestKey(7));
  ReferenceGenerator model(TestKey(7));
  const std::array<std::uint8_t, 5> seed{1, 2, 3, 4, 5};
  generator.Mix(seed);
  model.Mix(seed);
  // Sizes that cross every boundary: empty, buffered, buffer exhaustion, the direct threshold,
  // the chunk limit and its tail.
  const std::vector<std::size_t> sizes = {0,     1,     31,    32,     63,  64,  65,  511,
                                          512,   513,   991,   992,    993, 100, 900, 1000,
                                          65535, 65536, 65537, 200000, 3,   511, 0,   7};
  for (std::size_t n : sizes) {
    Bytes got(n);
    generator.Generate(got);
    ASSERT_EQ(got, model.Generate(n)) << "request of " << n;
  }
  for (std::size_t n = 0; n <= 300; ++n) {  // every small length, in sequence
    Bytes got(n);
    generator.Generate(got);
    ASSERT_EQ(got, model.Generate(n)) << "request of " << n;
  }
}

TEST(ChachaGeneratorTest, KnownAnswerDerivedWithPython) {
  const auto records = testing::ReadVectorFile("chacha_generator_kat.txt", ":");
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records.front();
  const Bytes key0 = testing::Hex(r.at("KEY0"));
  ASSERT_EQ(key0.size(), 32u);
  ChachaGenerator generator(std::span<const std::uint8_t, 32>(key0.data(), 32));
  generator.Mix(testing::Hex(r.at("SEED")));
  Bytes out1(40), out2(600), out3(40);
  generator.Generate(out1);
  generator.Generate(out2);
  generator.Generate(out3);
  std::array<std::uint8_t, 32> digest{};
  crypto_hash_sha256(digest.data(), out2.data(), out2.size());
  EXPECT_EQ(out1, testing::Hex(r.at("OUT1")));
  EXPECT_EQ(Bytes(digest.begin(), digest.end()), testing::Hex(r.at("OUT2_SHA256")));
  EXPECT_EQ(out3, testing::Hex(r.at("OUT3")));
}

TEST(ChachaGeneratorTest, SameKeySameOutputDifferentKeyDifferentOutput) {
  EnsureSodium();
  ChachaGenerator a(TestKey(0)), b(TestKey(0)), c(TestKey(1));
  Bytes out_a(100), out_b(100), out_c(100);
  a.Generate(out_a);
  b.Generate(out_b);
  c.Generate(out_c);
  EXPECT_EQ(out_a, out_b);
  EXPECT_NE(out_a, out_c);
  // Consecutive outputs of one generator never repeat.
  Bytes next(100);
  a.Generate(next);
  EXPECT_NE(next, out_a);
}

TEST(ChachaGeneratorTest, HandedOutBytesAndNewKeyAreWipedFromBuffer) {
  EnsureSodium();
  ChachaGenerator generator(TestKey(3));
  EXPECT_EQ(generator.BufferedBytes(), 0u);
  EXPECT_TRUE(AllZero(generator.BufferForTesting()));
  Bytes out(100);
  generator.Generate(out);
  EXPECT_FALSE(AllZero(out));
  const auto buffer = generator.BufferForTesting();
  ASSERT_EQ(buffer.size(), ChachaGenerator::kBufferBytes);
  EXPECT_EQ(generator.BufferedBytes(), 992u - 100u);
  EXPECT_TRUE(AllZero(buffer.first(32 + 100)));  // the next key's copy and the output
  EXPECT_FALSE(AllZero(buffer.subspan(32 + 100)));
  // No handed-out byte is still anywhere in the buffer.
  EXPECT_EQ(std::search(buffer.begin(), buffer.end(), out.begin(), out.begin() + 16), buffer.end());
  Bytes rest(generator.BufferedBytes());
  for (std::uint8_t& byte : rest) generator.Generate({&byte, 1});  // drain one byte at a time
  EXPECT_EQ(generator.BufferedBytes(), 0u);
  EXPECT_TRUE(AllZero(generator.BufferForTesting()));
}

TEST(ChachaGeneratorTest, DirectRequestsLeaveTheBufferAlone) {
  EnsureSodium();
  ChachaGenerator generator(TestKey(9));
  Bytes small(10);
  generator.Generate(small);
  const std::size_t before = generator.BufferedBytes();
  Bytes large(4096);
  generator.Generate(large);
  EXPECT_EQ(generator.BufferedBytes(), before);
  EXPECT_FALSE(AllZero(large));
}

TEST(ChachaGeneratorTest, MixAndRekeyDiscardBufferAndChangeOutput) {
  EnsureSodium();
  ChachaGenerator mixed(TestKey(0)), plain(TestKey(0)), rekeyed(TestKey(0));
  Bytes warm(10);
  mixed.Generate(warm);
  plain.Generate(warm);
  rekeyed.Generate(warm);
  const std::array<std::uint8_t, 1> input{0};
  mixed.Mix(input);
  rekeyed.Rekey(TestKey(50));
  for (auto* g : {&mixed, &rekeyed}) {
    EXPECT_EQ(g->BufferedBytes(), 0u);
    EXPECT_TRUE(AllZero(g->BufferForTesting()));
  }
  Bytes a(32), b(32), c(32);
  mixed.Generate(a);
  plain.Generate(b);
  rekeyed.Generate(c);
  EXPECT_NE(a, b);
  EXPECT_NE(c, b);
  // Rekey(k) makes exactly the generator a fresh ChachaGenerator(k) would be.
  ChachaGenerator fresh(TestKey(50));
  Bytes d(32);
  fresh.Generate(d);
  EXPECT_EQ(c, d);
}

TEST(ChachaGeneratorTest, EmptyRequestChangesNothing) {
  EnsureSodium();
  ChachaGenerator a(TestKey(4)), b(TestKey(4));
  a.Generate({});
  EXPECT_EQ(a.BufferedBytes(), 0u);
  Bytes out_a(64), out_b(64);
  a.Generate(out_a);
  b.Generate(out_b);
  EXPECT_EQ(out_a, out_b);
  a.Mix({});  // an empty mix input is allowed and still changes the key
  Bytes after(64);
  a.Generate(after);
  b.Generate(out_b);
  EXPECT_NE(after, out_b);
}

}  // namespace
}  // namespace seedwell

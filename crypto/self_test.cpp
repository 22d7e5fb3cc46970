#include "crypto/self_test.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/chacha_generator.h"
#include "crypto/ed25519_self_test.h"
#include "crypto/health_tests.h"
#include "crypto/secret_buffer.h"

namespace seedwell {
namespace {

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

// Hex is a public byte string decoded from hex (test inputs only: never secrets).
std::vector<std::uint8_t> Hex(std::string_view hex) {
  std::vector<std::uint8_t> bytes(hex.size() / 2);
  std::size_t length = 0;
  if (sodium_hex2bin(bytes.data(), bytes.size(), hex.data(), hex.size(), nullptr, &length,
                     nullptr) != 0 ||
      length != bytes.size()) {
    return {};  // a malformed table entry; the comparison that follows fails
  }
  return bytes;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.pop_back();
  return hex;
}

bool Equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// ------------------------------------------------------------------------------------------
// ChaCha20 (RFC 8439)
// ------------------------------------------------------------------------------------------

struct ChachaVector {
  std::string_view name;
  std::string_view key;
  std::string_view nonce;
  std::uint32_t counter;
  std::string_view in;
  std::string_view out;
};

// Generated from tests/data/chacha20_rfc8439.txt (transcribed from the RFC).
constexpr ChachaVector kChachaVectors[] = {
    {"RFC 8439 section 2.3.2 (block function)",
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "000000090000004a00000000",
     1,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa09"
     "14c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"},
    {"RFC 8439 section 2.4.2 (encryption)",
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "000000000000004a00000000",
     1,
     "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f6620273939"
     "3a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220"
     "746865206675747572652c2073756e73637265656e20776f756c642062652069742e",
     "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab"
     "8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e"
     "52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d"},
    {"RFC 8439 appendix A.1 test vector #1",
     "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     0,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d"
     "7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"},
    {"RFC 8439 appendix A.1 test vector #2",
     "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     1,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43"
     "d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"},
    {"RFC 8439 appendix A.1 test vector #3",
     "0000000000000000000000000000000000000000000000000000000000000001", "000000000000000000000000",
     1,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a8eca00bbb4a73bda"
     "d192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"},
    {"RFC 8439 appendix A.1 test vector #4",
     "00ff000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     2,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca13b25aa26cb4a648"
     "cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096"},
    {"RFC 8439 appendix A.1 test vector #5",
     "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000002",
     0,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c78a970e0e955c14f3"
     "a88e741b97c286f75f8fc299e8148362fa198a39531bed6d"},
    {"RFC 8439 appendix A.2 test vector #1",
     "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     0,
     "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000",
     "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d"
     "7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"},
    {"RFC 8439 appendix A.2 test vector #2",
     "0000000000000000000000000000000000000000000000000000000000000001", "000000000000000000000002",
     1,
     "416e79207375626d697373696f6e20746f20746865204945544620696e74656e6465642062792074"
     "686520436f6e7472696275746f7220666f72207075626c69636174696f6e20617320616c6c206f72"
     "2070617274206f6620616e204945544620496e7465726e65742d4472616674206f72205246432061"
     "6e6420616e792073746174656d656e74206d6164652077697468696e2074686520636f6e74657874"
     "206f6620616e204945544620616374697669747920697320636f6e7369646572656420616e202249"
     "45544620436f6e747269627574696f6e222e20537563682073746174656d656e747320696e636c75"
     "6465206f72616c2073746174656d656e747320696e20494554462073657373696f6e732c20617320"
     "77656c6c206173207772697474656e20616e6420656c656374726f6e696320636f6d6d756e696361"
     "74696f6e73206d61646520617420616e792074696d65206f7220706c6163652c2077686963682061"
     "72652061646472657373656420746f",
     "a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec2a97948bd3722915"
     "c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d4042e02785ececfa4b4bb5e8ead0440e"
     "20b6e8db09d881a7c6132f420e52795042bdfa7773d8a9051447b3291ce1411c680465552aa6c405"
     "b7764d5e87bea85ad00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259d"
     "c4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b0871cdac638939e2"
     "5e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6ccc3aaf9f3979c92b3720fc88dc95ed84"
     "a1be059c6499b9fda236e7e818b04b0bc39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80"
     "ef2554d7189c411f5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6"
     "98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab7ac61dd29c6f21ba"
     "5b862f3730e37cfdc4fd806c22f221"},
    {"RFC 8439 appendix A.2 test vector #3",
     "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0", "000000000000000000000002",
     42,
     "2754776173206272696c6c69672c20616e642074686520736c6974687920746f7665730a44696420"
     "6779726520616e642067696d626c6520696e2074686520776162653a0a416c6c206d696d73792077"
     "6572652074686520626f726f676f7665732c0a416e6420746865206d6f6d65207261746873206f75"
     "7467726162652e",
     "62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf166d3df2d721caf9"
     "b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553ebf39c6402c42234e32a356b3e764312a6"
     "1a5532055716ead6962568f87d3f3f7704c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36"
     "757a797ac188d1"},
};

SelfTestResult ChachaKnownAnswers() {
  SelfTestResult result{"chacha20-rfc8439", true, ""};
  for (const ChachaVector& v : kChachaVectors) {
    const std::vector<std::uint8_t> key = Hex(v.key);
    const std::vector<std::uint8_t> nonce = Hex(v.nonce);
    const std::vector<std::uint8_t> in = Hex(v.in);
    const std::vector<std::uint8_t> want = Hex(v.out);
    if (key.size() != crypto_stream_chacha20_ietf_KEYBYTES ||
        nonce.size() != crypto_stream_chacha20_ietf_NONCEBYTES || in.size() != want.size()) {
      return {result.name, false, std::string(v.name) + ": malformed vector"};
    }
    std::vector<std::uint8_t> got(in.size());
    crypto_stream_chacha20_ietf_xor_ic(got.data(), in.data(), in.size(), nonce.data(), v.counter,
                                       key.data());
    bool ok = Equal(got, want);
    // The generator calls crypto_stream_chacha20_ietf (counter 0): check it on keystream vectors.
    if (ok && v.counter == 0 && std::all_of(in.begin(), in.end(), [](auto b) { return b == 0; })) {
      crypto_stream_chacha20_ietf(got.data(), got.size(), nonce.data(), key.data());
      ok = Equal(got, want);
    }
    if (!ok) return {result.name, false, std::string(v.name) + ": got " + ToHex(got)};
  }
  result.detail = std::to_string(std::size(kChachaVectors)) + " vectors";
  return result;
}

// ------------------------------------------------------------------------------------------
// ChachaGenerator known answer (expected bytes from tests/data/make_chacha_generator_kat.py)
// ------------------------------------------------------------------------------------------

constexpr std::string_view kGeneratorOut1 =
    "da070b5f337d1db5d77e63cea0ef7e90ff3e4ed53cd69134b66d5eed3693d715d9e61a02699d3b4b";
constexpr std::string_view kGeneratorOut2Sha256 =
    "b131aae54409cf6c8926afe33ac20eef76ed0f3be39101e103b41a46b3fa1728";
constexpr std::string_view kGeneratorOut3 =
    "c5bdd0574789082f6e308ab417724b347c1882cbdcf6b10d39a326c77341260fb6e31e5f1e864b52";

SelfTestResult GeneratorKnownAnswer() {
  const std::string name = "chacha-generator-kat";
  // The fixed test key K0[i] = i and seed S[i] = 0x80 + i: public values, this test only.
  std::array<std::uint8_t, ChachaGenerator::kKeyBytes> key0{};
  for (std::size_t i = 0; i < key0.size(); ++i) key0[i] = static_cast<std::uint8_t>(i);
  std::array<std::uint8_t, 64> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(0x80 + i);

  ChachaGenerator generator(key0);
  generator.Mix(seed);
  std::array<std::uint8_t, 40> out1{};
  std::vector<std::uint8_t> out2(600);
  std::array<std::uint8_t, 40> out3{};
  generator.Generate(out1);  // buffered path
  generator.Generate(out2);  // direct path
  generator.Generate(out3);  // buffered path again
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), out2.data(), out2.size());

  if (!Equal(out1, Hex(kGeneratorOut1))) return {name, false, "buffered output: " + ToHex(out1)};
  if (!Equal(digest, Hex(kGeneratorOut2Sha256))) {
    return {name, false, "direct output digest: " + ToHex(digest)};
  }
  if (!Equal(out3, Hex(kGeneratorOut3))) return {name, false, "second buffered: " + ToHex(out3)};
  return {name, true, "fixed key and seed; 680 bytes over both paths"};
}

// ------------------------------------------------------------------------------------------
// Registry
// ------------------------------------------------------------------------------------------

// FromResult turns a Result-returning check into a named SelfTestResult.
SelfTestResult FromResult(const char* name, const Result<void>& result) {
  return {name, result.has_value(), result ? "" : result.error().message};
}

SelfTestResult Ed25519KnownAnswers() {
  return FromResult("ed25519-rfc8032", Ed25519KnownAnswerTest());
}

SelfTestResult HealthTestsCheck() { return FromResult("health-tests", HealthTestSelfCheck()); }

using SelfTest = SelfTestResult (*)();

constexpr SelfTest kSelfTests[] = {
    ChachaKnownAnswers,
    GeneratorKnownAnswer,
    Ed25519KnownAnswers,
    HealthTestsCheck,
};

}  // namespace

std::vector<SelfTestResult> RunCryptoSelfTests() {
  EnsureSodium();
  std::vector<SelfTestResult> results;
  results.reserve(std::size(kSelfTests));
  for (SelfTest test : kSelfTests) results.push_back(test());
  return results;
}

bool AllSelfTestsPassed(const std::vector<SelfTestResult>& results) {
  return !results.empty() &&
         std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed; });
}

}  // namespace seedwell

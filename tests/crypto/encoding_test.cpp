#include "crypto/encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace seedwell {
namespace {

std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(EncodingTest, Rfc4648Vectors) {
  // RFC 4648 section 10.
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, b64] : vectors) {
    EXPECT_EQ(ToBase64(Bytes(plain)), b64);
    EXPECT_EQ(FromBase64(b64).value(), Bytes(plain));
    std::string url = b64;
    while (!url.empty() && url.back() == '=') url.pop_back();
    EXPECT_EQ(ToBase64Url(Bytes(plain)), url);
    EXPECT_EQ(FromBase64Url(url).value(), Bytes(plain));
  }
  EXPECT_EQ(ToHex(Bytes("foobar")), "666f6f626172");
  EXPECT_EQ(FromHex("666F6f626172").value(), Bytes("foobar"));
}

TEST(EncodingTest, AppendFormsMatchTheirToFormsAndKeepWhatWasThere) {
  // Every length from 0 to 200 (each padding case many times), every byte value.
  std::vector<std::uint8_t> bytes;
  for (std::size_t n = 0; n <= 200; ++n) {
    const std::string b64 = ToBase64(bytes);
    std::string constant_time = "x";
    AppendBase64(constant_time, bytes);
    EXPECT_EQ(constant_time, "x" + b64) << n;
    std::string hex = "z";
    AppendHex(hex, bytes);
    EXPECT_EQ(hex, "z" + ToHex(bytes)) << n;
    bytes.push_back(static_cast<std::uint8_t>(n * 97 + 255));
  }
}

TEST(EncodingTest, UrlAlphabetDiffersFromStandard) {
  const std::vector<std::uint8_t> bytes = {0xfb, 0xff};
  EXPECT_EQ(ToBase64(bytes), "+/8=");
  EXPECT_EQ(ToBase64Url(bytes), "-_8");
  EXPECT_FALSE(FromBase64("-_8=").has_value());
  EXPECT_FALSE(FromBase64Url("+/8").has_value());
}

TEST(EncodingTest, RejectsMalformedInput) {
  for (const char* bad : {"0", "zz", "00 ", " 00", "0g"}) {
    EXPECT_FALSE(FromHex(bad).has_value()) << bad;
  }
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v\n", "Zm9v!", "Zm9vYg==Zg=="}) {
    EXPECT_FALSE(FromBase64(bad).has_value()) << bad;
  }
  EXPECT_FALSE(FromBase64Url("Zg==").has_value());
}

TEST(EncodingTest, IntoVariantsDemandTheExactLengthAndWipeOnFailure) {
  std::uint8_t out[3] = {9, 9, 9};
  EXPECT_TRUE(FromBase64Into("Zm9v", out).has_value());
  EXPECT_EQ(out[2], 'o');
  EXPECT_FALSE(FromBase64Into("Zm9vYg==", out).has_value());  // too long
  EXPECT_EQ(out[0], 0);
  EXPECT_FALSE(FromBase64Into("Zm8=", out).has_value());  // too short
  EXPECT_TRUE(FromHexInto("0a0b0c", out).has_value());
  EXPECT_EQ(out[1], 0x0b);
  EXPECT_FALSE(FromHexInto("0a0b", out).has_value());
  EXPECT_EQ(out[0], 0);
}

}  // namespace
}  // namespace seedwell

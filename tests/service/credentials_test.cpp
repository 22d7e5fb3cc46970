#include "service/credentials.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

namespace seedwell {
namespace {

// Computed independently with Python's zlib.crc32, base64 and hashlib (see the file header of
// credentials.h for the format).
constexpr const char* kKnownInstanceToken = "swi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAm_TebQ";
constexpr const char* kKnownAdminToken = "swa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAhxKPyg";
constexpr const char* kKnownInstanceHash =
    "04a2c3a534cb71a65309efb8b00818108634cb07501e699bde41a6673be4dbc2";

// printf %s 0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11 | openssl dgst -sha256 -hmac s3cr3t-proxy
constexpr const char* kProxySecret = "s3cr3t-proxy";
constexpr const char* kProxyInstance = "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b11";
constexpr const char* kProxySignature =
    "4c4c9d4bb16e6a0abf49854a9fd9d9f0e98691dbe314d1dcaad29e25b3ce9616";

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(TokenTest, GeneratedTokensHaveTheDocumentedFormat) {
  // The documented scanner regex `swi_[A-Za-z0-9_-]{49}`, checked by hand (std::regex trips a
  // GCC 12 -Wmaybe-uninitialized false positive under the sanitizers).
  const auto matches_format = [](const std::string& text) {
    return text.size() == 53 && text.substr(0, 4) == "swi_" &&
           std::all_of(text.begin() + 4, text.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
           });
  };
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string text = Token::Generate(TokenKind::kInstance).Reveal();
    EXPECT_TRUE(matches_format(text)) << text;
    EXPECT_TRUE(seen.insert(text).second);
    auto parsed = Token::Parse(text, TokenKind::kInstance);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->Reveal(), text);
  }
  EXPECT_EQ(Token::Generate(TokenKind::kAdmin).Reveal().substr(0, 4), "swa_");
}

TEST(TokenTest, ParsesAndHashesAKnownVector) {
  auto token = Token::Parse(kKnownInstanceToken, TokenKind::kInstance);
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(TokenHashToHex(token->Hash()), kKnownInstanceHash);
  EXPECT_TRUE(Token::Parse(kKnownAdminToken, TokenKind::kAdmin).has_value());
}

TEST(TokenTest, RejectsMalformedTokens) {
  const std::string good = kKnownInstanceToken;
  std::string bad_checksum = good;
  bad_checksum.back() = bad_checksum.back() == 'Q' ? 'R' : 'Q';
  std::string bad_body = good;
  bad_body[10] = 'B';  // the checksum no longer matches
  std::string bad_char = good;
  bad_char[10] = '+';
  for (const std::string& text :
       {std::string(), good.substr(0, good.size() - 1), good + "A", bad_checksum, bad_body,
        bad_char, "swx_" + good.substr(4), std::string(kKnownAdminToken)}) {
    auto parsed = Token::Parse(text, TokenKind::kInstance);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(parsed.error().message.find(text.empty() ? "\x01" : text), std::string::npos);
  }
  EXPECT_FALSE(Token::Parse(good, TokenKind::kAdmin).has_value());
}

TEST(TokenHashTest, HexRoundTripAndBadInput) {
  auto hash = TokenHashFromHex(kKnownInstanceHash);
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(TokenHashToHex(*hash), kKnownInstanceHash);
  for (const char* bad :
       {"", "04a2", "zz a2c3a534cb71a65309efb8b00818108634cb07501e699bde41a6673be4dbc2",
        "04a2c3a534cb71a65309efb8b00818108634cb07501e699bde41a6673be4dbcz"}) {
    EXPECT_EQ(TokenHashFromHex(bad).error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(AdminCredentialTest, ChecksAgainstAConfiguredHash) {
  const Token admin = Token::Generate(TokenKind::kAdmin);
  const auto credential = AdminCredential::FromHashHex(TokenHashToHex(admin.Hash()));
  EXPECT_TRUE(credential.Check(admin.Reveal()).has_value());
  EXPECT_EQ(credential.Check(Token::Generate(TokenKind::kAdmin).Reveal()).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(credential.Check(kKnownInstanceToken).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(credential.Check("").error().code, ErrorCode::kUnauthenticated);
  EXPECT_THROW(AdminCredential::FromHashHex("not hex"), std::invalid_argument);
}

TEST(AdminCredentialTest, AVendordataCredentialTakesOnlyVendordataTokens) {
  const Token vendordata = Token::Generate(TokenKind::kVendordata);
  EXPECT_EQ(vendordata.Reveal().substr(0, 4), "swv_");
  const auto credential =
      AdminCredential::FromHashHex(TokenHashToHex(vendordata.Hash()), TokenKind::kVendordata);
  EXPECT_TRUE(credential.Check(vendordata.Reveal()).has_value());
  EXPECT_FALSE(credential.Check(Token::Generate(TokenKind::kVendordata).Reveal()).has_value());
  EXPECT_FALSE(credential.Check(kKnownAdminToken).has_value());
  // The admin credential refuses a vendordata token even with the same body.
  const auto admin = AdminCredential::FromHashHex(TokenHashToHex(vendordata.Hash()));
  EXPECT_FALSE(admin.Check(vendordata.Reveal()).has_value());
}

TEST(TokenTest, DerivedTokensAreStablePerKeyAndContext) {
  std::array<std::uint8_t, kTokenKeyBytes> key{};
  key.fill(1);
  const Token a = Token::Derive(TokenKind::kInstance, key, "ctx");
  EXPECT_EQ(a.Reveal(), Token::Derive(TokenKind::kInstance, key, "ctx").Reveal());
  EXPECT_NE(a.Reveal(), Token::Derive(TokenKind::kInstance, key, "ctx2").Reveal());
  key[0] = 2;
  EXPECT_NE(a.Reveal(), Token::Derive(TokenKind::kInstance, key, "ctx").Reveal());
  // A derived token has the format of any other: it parses, with its checksum.
  auto parsed = Token::Parse(a.Reveal(), TokenKind::kInstance);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->Hash(), a.Hash());
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "seedwell-cred-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path) << content;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(TokenFileTest, ReadsAnAdminTokenFile) {
  const auto credential =
      AdminCredential::FromTokenFile(Write("admin", std::string(kKnownAdminToken) + "\n"));
  EXPECT_TRUE(credential.Check(kKnownAdminToken).has_value());
  EXPECT_FALSE(credential.Check(Token::Generate(TokenKind::kAdmin).Reveal()).has_value());
}

TEST_F(TokenFileTest, RefusesBadTokenFiles) {
  EXPECT_THROW(AdminCredential::FromTokenFile((dir_ / "missing").string()), std::runtime_error);
  EXPECT_THROW(AdminCredential::FromTokenFile(Write("empty", "")), std::runtime_error);
  EXPECT_THROW(AdminCredential::FromTokenFile(Write("instance", kKnownInstanceToken)),
               std::runtime_error);
  EXPECT_THROW(AdminCredential::FromTokenFile(Write("big", std::string(1000, 'a'))),
               std::runtime_error);
}

TEST(ProxySignatureTest, MatchesOpensslVector) {
  EXPECT_EQ(ComputeInstanceIdSignature(Bytes(kProxySecret), kProxyInstance), kProxySignature);
  EXPECT_TRUE(VerifyInstanceIdSignature(Bytes(kProxySecret), kProxyInstance, kProxySignature));
}

TEST(ProxySignatureTest, RejectsWrongSignatures) {
  const std::string good = kProxySignature;
  std::string flipped = good;
  flipped[0] = flipped[0] == '4' ? '5' : '4';
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& bad :
       {std::string(), good.substr(0, 63), good + "0", flipped, upper, std::string(64, 'g')}) {
    EXPECT_FALSE(VerifyInstanceIdSignature(Bytes(kProxySecret), kProxyInstance, bad)) << bad;
  }
  EXPECT_FALSE(VerifyInstanceIdSignature(Bytes("other-secret"), kProxyInstance, good));
  EXPECT_FALSE(
      VerifyInstanceIdSignature(Bytes(kProxySecret), "0f8e2e04-2d6d-4a1e-9c43-5a1f8f4a2b12", good));
  EXPECT_FALSE(VerifyInstanceIdSignature(Bytes(""), kProxyInstance,
                                         ComputeInstanceIdSignature(Bytes(""), kProxyInstance)));
}

}  // namespace
}  // namespace seedwell

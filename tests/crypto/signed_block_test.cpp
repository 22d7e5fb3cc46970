#include "crypto/signed_block.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "tests/testutil/vector_file.h"

namespace seedwell {
namespace {

using ::seedwell::testing::Hex;
using ::seedwell::testing::ReadVectorFile;

// Golden holds the owned bytes behind the golden vector's BlockFields views.
struct Golden {
  testing::VectorRecord record;
  std::vector<std::uint8_t> nonce;
  std::vector<std::uint8_t> data;
  BlockFields fields;
};

Golden LoadGolden() {
  const auto records = ReadVectorFile("signed_block_golden.txt");
  EXPECT_EQ(records.size(), 1U);
  Golden g;
  g.record = records.at(0);
  g.nonce = Hex(g.record.at("nonce"));
  g.data = Hex(g.record.at("data"));
  g.fields.instance_id = g.record.at("instance_id");
  g.fields.nonce = g.nonce;
  g.fields.issued_at_unix_ms = std::stoull(g.record.at("issued_at_unix_ms"));
  g.fields.kid = g.record.at("kid");
  g.fields.sealed = g.record.at("sealed") == "1";
  g.fields.data = g.data;
  return g;
}

SigningKey GoldenKey(const Golden& g) {
  SecretArray<kEd25519SeedBytes> seed;
  EXPECT_TRUE(FromHexInto(g.record.at("secret_key"), seed.span()).has_value());
  return SigningKey::FromSeed(seed.span());
}

TEST(SignedBlockTest, GoldenCanonicalBytesAndSignature) {
  const Golden g = LoadGolden();
  auto bytes = CanonicalBlockBytes(g.fields);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(ToHex(bytes->span()), g.record.at("canonical"));
  EXPECT_EQ(CanonicalBlockSize(g.fields).value(), bytes->size());

  const SigningKey key = GoldenKey(g);
  ASSERT_EQ(key.kid(), g.fields.kid);
  auto sig = SignBlock(key, g.fields);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(ToHex(*sig), g.record.at("signature"));
  EXPECT_TRUE(VerifyBlock(key.public_key(), g.fields, *sig).has_value());
}

TEST(SignedBlockTest, EmptyFieldsStillLengthPrefixed) {
  BlockFields fields;
  auto bytes = CanonicalBlockBytes(fields);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(ToHex(bytes->span()), "00000011" +
                                      ToHex(std::span<const std::uint8_t>(
                                          reinterpret_cast<const std::uint8_t*>(kBlockLabel.data()),
                                          kBlockLabel.size())) +
                                      "00000000"
                                      "00000000"
                                      "0000000000000000"
                                      "00000000"
                                      "00"
                                      "00000000");
}

TEST(SignedBlockTest, AnyChangedFieldBreaksVerification) {
  const Golden g = LoadGolden();
  const SigningKey key = GoldenKey(g);
  const Ed25519Signature sig = SignBlock(key, g.fields).value();

  std::vector<std::uint8_t> nonce = g.nonce;
  nonce[5] ^= 0x80;
  std::vector<std::uint8_t> data = g.data;
  data[31] ^= 0x01;
  std::vector<std::uint8_t> longer_data = g.data;
  longer_data.push_back(0);
  const std::string other_instance = "3f2504e0-4f89-11d3-9a0c-0305e82c3302";
  // A shift of bytes between adjacent fields must not verify either: length prefixes separate them.
  const std::string shifted_instance = std::string(g.fields.instance_id) + "\x00";
  const std::vector<std::uint8_t> nonce_minus_first(g.nonce.begin() + 1, g.nonce.end());

  const std::vector<std::pair<std::string, std::function<void(BlockFields&)>>> changes = {
      {"instance", [&](BlockFields& f) { f.instance_id = other_instance; }},
      {"nonce", [&](BlockFields& f) { f.nonce = nonce; }},
      {"empty nonce", [&](BlockFields& f) { f.nonce = {}; }},
      {"time", [&](BlockFields& f) { f.issued_at_unix_ms += 1; }},
      {"sealed", [&](BlockFields& f) { f.sealed = !f.sealed; }},
      {"data", [&](BlockFields& f) { f.data = data; }},
      {"longer data", [&](BlockFields& f) { f.data = longer_data; }},
      {"shift",
       [&](BlockFields& f) {
         f.instance_id = shifted_instance;
         f.nonce = nonce_minus_first;
       }},
  };
  for (const auto& [name, change] : changes) {
    BlockFields fields = g.fields;
    change(fields);
    auto verified = VerifyBlock(key.public_key(), fields, sig);
    ASSERT_FALSE(verified.has_value()) << name;
    EXPECT_EQ(verified.error().code, ErrorCode::kUnauthenticated) << name;
  }
  for (std::size_t i = 0; i < sig.size(); ++i) {
    Ed25519Signature bad = sig;
    bad[i] ^= 0x10;
    EXPECT_FALSE(VerifyBlock(key.public_key(), g.fields, bad).has_value()) << "byte " << i;
  }
}

TEST(SignedBlockTest, KidMustMatchTheKey) {
  const Golden g = LoadGolden();
  const SigningKey key = GoldenKey(g);
  const SigningKey other = SigningKey::Generate();
  const Ed25519Signature sig = SignBlock(key, g.fields).value();

  BlockFields fields = g.fields;
  fields.kid = other.kid();
  EXPECT_EQ(SignBlock(key, fields).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(VerifyBlock(key.public_key(), fields, sig).error().code, ErrorCode::kInvalidArgument);
  // Another key's public key with the right kid string is rejected before any signature check.
  EXPECT_FALSE(VerifyBlock(other.public_key(), g.fields, sig).has_value());
  // A block signed by the other key under its own kid does not verify with the first key.
  fields.kid = other.kid();
  const Ed25519Signature other_sig = SignBlock(other, fields).value();
  EXPECT_TRUE(VerifyBlock(other.public_key(), fields, other_sig).has_value());
  EXPECT_FALSE(VerifyBlock(key.public_key(), g.fields, other_sig).has_value());
}

TEST(SignedBlockTest, LargeBlocksUseTheHeapPathAndMatch) {
  const SigningKey key = SigningKey::Generate();
  std::vector<std::uint8_t> data(block_internal::kStackBytes * 3, 0x5a);
  BlockFields fields;
  fields.instance_id = "i";
  fields.kid = key.kid();
  fields.data = data;
  const Ed25519Signature sig = SignBlock(key, fields).value();
  auto bytes = CanonicalBlockBytes(fields).value();
  EXPECT_TRUE(VerifyEd25519(key.public_key(), bytes.span(), sig));
  EXPECT_TRUE(VerifyBlock(key.public_key(), fields, sig).has_value());
  data.back() ^= 1;
  EXPECT_FALSE(VerifyBlock(key.public_key(), fields, sig).has_value());
}

}  // namespace
}  // namespace seedwell

// The firmware seed: the SMBIOS type 11 parser on golden bytes (what QEMU's -smbios type=11 puts in
// /sys/firmware/dmi/entries/11-0/raw) and on broken ones, the systemd credential forms, and the
// search order over a fake sysfs and credentials directory. RunFetch with only a firmware seed
// (no drive, no network) verifies and credits it and says where it came from.
#include "guest/firmware_seed.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/signed_block.h"
#include "crypto/signing_key.h"
#include "guest/fetch.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using namespace std::string_literals;

constexpr std::string_view kInstance = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string Text(const SecretBuffer& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Golden: type 11, length 5, handle 0x0b00, 2 strings, then "abc\0" "io.systemd...\0" "\0".
const std::string kGolden =
    "\x0b\x05\x00\x0b\x02"s + "abc\0"s + "io.systemd.credential:seedwell.seed=hello\0"s + "\0"s;

TEST(SmbiosOemStringsTest, ParsesGoldenBytes) {
  auto strings = ParseSmbiosOemStrings(Bytes(kGolden));
  ASSERT_TRUE(strings) << strings.error().message;
  ASSERT_EQ(strings->size(), 2u);
  EXPECT_EQ((*strings)[0], "abc");
  EXPECT_EQ((*strings)[1], "io.systemd.credential:seedwell.seed=hello");
}

TEST(SmbiosOemStringsTest, NoStringsIsTwoNuls) {
  auto strings = ParseSmbiosOemStrings(Bytes("\x0b\x05\x01\x00\x00"s + "\0\0"s));
  ASSERT_TRUE(strings) << strings.error().message;
  EXPECT_TRUE(strings->empty());
}

TEST(SmbiosOemStringsTest, ALongerFormattedAreaIsSkipped) {
  // The views point into |raw|: it must outlive them.
  const std::string raw = "\x0b\x07\x00\x0b\x01\xff\xff"s + "x\0\0"s;
  auto strings = ParseSmbiosOemStrings(Bytes(raw));
  ASSERT_TRUE(strings) << strings.error().message;
  ASSERT_EQ(strings->size(), 1u);
  EXPECT_EQ((*strings)[0], "x");
}

TEST(SmbiosOemStringsTest, BrokenStructuresAreRefused) {
  const std::vector<std::string> broken = {
      ""s,
      "\x0b\x05\x00"s,                            // shorter than the header
      "\x01\x05\x00\x0b\x01"s + "abc\0\0"s,       // type 1, not 11
      "\x0b\x04\x00\x0b\x01"s + "abc\0\0"s,       // formatted length below 5
      "\x0b\x40\x00\x0b\x01"s + "abc\0\0"s,       // formatted length past the end
      "\x0b\x05\x00\x0b\x01"s + "abc"s,           // string runs off the end
      "\x0b\x05\x00\x0b\x01"s + "abc\0"s,         // set not terminated
      "\x0b\x05\x00\x0b\x03"s + "abc\0def\0\0"s,  // announces 3, holds 2
      "\x0b\x05\x00\x0b\x01"s,                    // no string set at all
  };
  for (const std::string& raw : broken) {
    EXPECT_FALSE(ParseSmbiosOemStrings(Bytes(raw))) << ToHex(Bytes(raw));
  }
}

TEST(SmbiosOemStringsTest, ExtraStringsBeyondTheCountAreIgnored) {
  auto strings = ParseSmbiosOemStrings(Bytes("\x0b\x05\x00\x0b\x01"s + "a\0b\0\0"s));
  ASSERT_TRUE(strings);
  ASSERT_EQ(strings->size(), 1u);
}

TEST(CredentialFromOemStringsTest, BinaryAndTextForms) {
  const std::vector<std::string_view> strings = {
      "io.systemd.credential.binary:other=aGk=", "io.systemd.credential.binary:seedwell.seedX=aGk=",
      "io.systemd.credential.binary:seedwell.seed=aGVsbG8=", "io.systemd.credential:t=plain"};
  auto binary = CredentialFromOemStrings(strings, "seedwell.seed");
  ASSERT_TRUE(binary && *binary);
  EXPECT_EQ(Text(**binary), "hello");
  auto text = CredentialFromOemStrings(strings, "t");
  ASSERT_TRUE(text && *text);
  EXPECT_EQ(Text(**text), "plain");
  auto absent = CredentialFromOemStrings(strings, "missing");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  const std::vector<std::string_view> bad = {"io.systemd.credential.binary:seedwell.seed=a*b"};
  EXPECT_FALSE(CredentialFromOemStrings(bad, "seedwell.seed"));
  // An empty value in either form is refused with a message (found by smbios_oem_fuzz).
  for (const std::string_view empty :
       {"io.systemd.credential:seedwell.seed=", "io.systemd.credential.binary:seedwell.seed="}) {
    const std::vector<std::string_view> one = {empty};
    auto refused = CredentialFromOemStrings(one, "seedwell.seed");
    ASSERT_FALSE(refused) << empty;
    EXPECT_NE(refused.error().message.find("is empty"), std::string::npos);
  }
}

// A signed seed file, as MakeSeedFile writes it.
struct Seed {
  SigningKey key = SigningKey::Generate();
  std::vector<std::uint8_t> nonce = std::vector<std::uint8_t>(16, 3);
  std::vector<std::uint8_t> data = std::vector<std::uint8_t>(64, 0x5c);
  std::string Json(std::string_view instance = kInstance) const {
    const BlockFields fields{instance, nonce, 1700000000000, key.kid(), false, data};
    return nlohmann::json{{"format", "seedwell-seed-v1"},
                          {"instance_id", instance},
                          {"kid", key.kid()},
                          {"public_key", ToBase64(key.public_key())},
                          {"issued_at_unix_ms", 1700000000000ULL},
                          {"nonce", ToBase64(nonce)},
                          {"sealed", false},
                          {"data", ToBase64(data)},
                          {"signature", ToBase64(*SignBlock(key, fields))}}
        .dump();
  }
};

// WriteSmbios writes /sys/firmware/dmi/entries/11-0/raw holding |strings| under |sysfs|.
void WriteSmbios(const std::filesystem::path& sysfs, const std::vector<std::string>& strings) {
  const auto dir = sysfs / "firmware/dmi/entries/11-0";
  std::filesystem::create_directories(dir);
  std::string raw = "\x0b\x05\x00\x0b"s + static_cast<char>(strings.size());
  for (const auto& s : strings) raw += s + '\0';
  raw += '\0';
  std::ofstream(dir / "raw", std::ios::binary) << raw;
}

void WriteFwCfg(const std::filesystem::path& sysfs, const std::string& content) {
  const auto dir = sysfs / "firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/seedwell.seed";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "raw", std::ios::binary) << content;
}

TEST(FindFirmwareSeedTest, SearchOrderAndSources) {
  const testing::TempDir dir;
  FirmwarePaths paths;
  paths.sysfs = dir.path() / "sys";
  auto none = FindFirmwareSeed(paths, FirmwareSeedSource::kAuto, kFirmwareCredentialName);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(*none);

  WriteSmbios(paths.sysfs, {"vendor", "io.systemd.credential.binary:seedwell.seed=" +
                                          ToBase64(Bytes("from-smbios"))});
  auto smbios = FindFirmwareSeed(paths, FirmwareSeedSource::kAuto, kFirmwareCredentialName);
  ASSERT_TRUE(smbios && *smbios);
  EXPECT_EQ(Text((*smbios)->text), "from-smbios");
  EXPECT_NE((*smbios)->source.find("SMBIOS type 11"), std::string::npos);

  WriteFwCfg(paths.sysfs, "from-fw-cfg");
  auto fw_cfg = FindFirmwareSeed(paths, FirmwareSeedSource::kAuto, kFirmwareCredentialName);
  ASSERT_TRUE(fw_cfg && *fw_cfg);
  EXPECT_EQ(Text((*fw_cfg)->text), "from-fw-cfg");
  EXPECT_NE((*fw_cfg)->source.find("fw_cfg"), std::string::npos);

  std::filesystem::create_directories(dir.path() / "creds");
  std::ofstream(dir.path() / "creds" / "seedwell.seed") << "from-credentials";
  paths.credentials_dir = (dir.path() / "creds").string();
  auto creds = FindFirmwareSeed(paths, FirmwareSeedSource::kAuto, kFirmwareCredentialName);
  ASSERT_TRUE(creds && *creds);
  EXPECT_EQ(Text((*creds)->text), "from-credentials");
  EXPECT_NE((*creds)->source.find("systemd credential"), std::string::npos);

  // One source asked for by name is the only one read.
  auto only = FindFirmwareSeed(paths, FirmwareSeedSource::kSmbios, kFirmwareCredentialName);
  ASSERT_TRUE(only && *only);
  EXPECT_EQ(Text((*only)->text), "from-smbios");
  auto off = FindFirmwareSeed(paths, FirmwareSeedSource::kNone, kFirmwareCredentialName);
  ASSERT_TRUE(off);
  EXPECT_FALSE(*off);
}

TEST(FindFirmwareSeedTest, AMalformedSmbiosEntryIsAnErrorNamingIt) {
  const testing::TempDir dir;
  FirmwarePaths paths;
  paths.sysfs = dir.path();
  std::filesystem::create_directories(dir.path() / "firmware/dmi/entries/11-0");
  std::ofstream(dir.path() / "firmware/dmi/entries/11-0/raw", std::ios::binary)
      << "\x0b\x05\x00\x0b\x01"s + "abc";
  auto found = FindFirmwareSeed(paths, FirmwareSeedSource::kSmbios, kFirmwareCredentialName);
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("11-0/raw"), std::string::npos);
}

// RunFetchFor runs the guest tool against |sysfs| only: no drive, no network, no credit
// privilege needed (the random device is a regular file, so the bytes are mixed, not credited).
int RunFetchFor(const testing::TempDir& dir, std::vector<std::string> extra_keys,
                std::string* out_text, std::string* err_text) {
  FetchFlags flags;
  flags.no_config_drive = true;
  flags.sysfs = (dir.path() / "sys").string();
  flags.random_device = dir.File("random");
  flags.urandom_device = dir.File("urandom");
  flags.public_keys = std::move(extra_keys);
  std::ofstream(dir.File("random")).put('\0');
  std::ofstream(dir.File("urandom"));
  std::ostringstream out, err;
  const int code = RunFetch(flags, out, err);
  *out_text = out.str();
  *err_text = err.str();
  return code;
}

TEST(FirmwareSeedFetchTest, ASmbiosSeedAloneIsVerifiedAndDelivered) {
  const testing::TempDir dir;
  const Seed seed;
  WriteSmbios(dir.path() / "sys",
              {"io.systemd.credential.binary:seedwell.seed=" + ToBase64(Bytes(seed.Json()))});
  std::string out, err;
  EXPECT_EQ(RunFetchFor(dir, {}, &out, &err), 0) << out << err;
  EXPECT_NE(out.find("firmware seed verified: 64 bytes, instance " + std::string(kInstance)),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("from SMBIOS type 11 OEM string"), std::string::npos) << out;
  EXPECT_NE(out.find("trusting the key the firmware credential names"), std::string::npos);
  EXPECT_NE(out.find("firmware seed mixed 64 bytes"), std::string::npos) << out;
  EXPECT_NE(out.find("firmware seed only"), std::string::npos) << out;
}

TEST(FirmwareSeedFetchTest, APinnedKeyRefusesASeedSignedByAnother) {
  const testing::TempDir dir;
  const Seed seed;
  WriteSmbios(dir.path() / "sys",
              {"io.systemd.credential.binary:seedwell.seed=" + ToBase64(Bytes(seed.Json()))});
  const SigningKey other = SigningKey::Generate();
  std::string out, err;
  EXPECT_EQ(RunFetchFor(dir, {ToBase64(other.public_key())}, &out, &err), 1);
  EXPECT_NE(err.find("firmware seed from SMBIOS type 11 OEM string"), std::string::npos) << err;
  EXPECT_NE(err.find("REJECTED"), std::string::npos) << err;
}

TEST(FirmwareSeedFetchTest, ATamperedSeedIsRejected) {
  const testing::TempDir dir;
  const Seed seed;
  nlohmann::json doc = nlohmann::json::parse(seed.Json());
  doc["data"] = ToBase64(std::vector<std::uint8_t>(64, 0x5d));
  WriteFwCfg(dir.path() / "sys", doc.dump());
  std::string out, err;
  EXPECT_EQ(RunFetchFor(dir, {}, &out, &err), 1);
  EXPECT_NE(err.find("firmware seed from fw_cfg file"), std::string::npos) << err;
  EXPECT_NE(err.find("REJECTED"), std::string::npos) << err;
}

}  // namespace
}  // namespace seedwell

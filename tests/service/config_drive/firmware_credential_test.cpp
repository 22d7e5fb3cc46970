// The firmware credential's forms: the systemd OEM string, QEMU's arguments with their comma
// escaping, and libvirt's XML, from a real seed file.
#include "service/config_drive/firmware_credential.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

SecretBuffer Buffer(const std::string& text) {
  SecretBuffer b(text.size());
  std::memcpy(b.data(), text.data(), text.size());
  return b;
}

TEST(FirmwareCredentialTest, RendersEveryForm) {
  const std::string seed = R"({"format":"seedwell-seed-v1","a":"x<y&'z'"})";
  auto c = MakeFirmwareCredential(Buffer(seed + "\n"), "seedwell.seed");
  ASSERT_TRUE(c) << c.error().message;
  const std::string b64 =
      ToBase64(std::span(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  EXPECT_EQ(c->oem_string, "io.systemd.credential.binary:seedwell.seed=" + b64);
  ASSERT_EQ(c->qemu_smbios_args.size(), 2u);
  EXPECT_EQ(c->qemu_smbios_args[0], "-smbios");
  EXPECT_EQ(c->qemu_smbios_args[1],
            "type=11,value=io.systemd.credential.binary:seedwell.seed=" + b64);
  ASSERT_EQ(c->qemu_fw_cfg_args.size(), 2u);
  EXPECT_EQ(c->qemu_fw_cfg_args[0], "-fw_cfg");
  // The seed file's commas are doubled; the trailing newline is gone.
  EXPECT_EQ(
      c->qemu_fw_cfg_args[1],
      R"(name=opt/io.systemd.credentials/seedwell.seed,string={"format":"seedwell-seed-v1",,"a":"x<y&'z'"})");
  EXPECT_EQ(
      c->libvirt_smbios_xml,
      "<sysinfo type='smbios'><oemStrings><entry>io.systemd.credential.binary:seedwell.seed=" +
          b64 + "</entry></oemStrings></sysinfo>");
  EXPECT_EQ(c->libvirt_fw_cfg_xml,
            "<sysinfo type='fwcfg'><entry name='opt/io.systemd.credentials/seedwell.seed'>"
            "{&quot;format&quot;:&quot;seedwell-seed-v1&quot;,&quot;a&quot;:&quot;x&lt;y&amp;"
            "&apos;z&apos;&quot;}</entry></sysinfo>");
}

TEST(FirmwareCredentialTest, QemuEscapingDoublesEveryComma) {
  EXPECT_EQ(QemuOptionEscape("a,b,,c"), "a,,b,,,,c");
  EXPECT_EQ(QemuOptionEscape(""), "");
}

TEST(FirmwareCredentialTest, NamesAndEmptySeedsAreChecked) {
  for (const char* bad : {"", ".", "..", "a b", "a,b", "a/b", "a=b", "a'b"}) {
    EXPECT_FALSE(ValidCredentialName(bad)) << bad;
    EXPECT_FALSE(MakeFirmwareCredential(Buffer("{}"), bad)) << bad;
  }
  EXPECT_FALSE(ValidCredentialName(std::string(65, 'a')));
  EXPECT_TRUE(ValidCredentialName(std::string(64, 'a')));
  EXPECT_TRUE(ValidCredentialName("seedwell.seed_2-x"));
  EXPECT_FALSE(MakeFirmwareCredential(Buffer("\n"), "seedwell.seed"));
}

}  // namespace
}  // namespace seedwell

#include "crypto/public_base64.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

TEST(PublicBase64Test, MatchesTheConstantTimeEncoderAtEveryLength) {
  // Every length from 0 to 200 (each padding case many times) and most byte values, appended
  // after what the string already held. ToBase64 itself meets RFC 4648's vectors (EncodingTest).
  std::vector<std::uint8_t> bytes;
  for (std::size_t n = 0; n <= 200; ++n) {
    std::string out = "y";
    AppendPublicBase64(out, bytes);
    EXPECT_EQ(out, "y" + ToBase64(bytes)) << n;
    bytes.push_back(static_cast<std::uint8_t>(n * 97 + 255));
  }
}

}  // namespace
}  // namespace seedwell

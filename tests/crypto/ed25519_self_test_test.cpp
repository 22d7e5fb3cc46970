#include "crypto/ed25519_self_test.h"

#include <gtest/gtest.h>

namespace seedwell {
namespace {

TEST(Ed25519SelfTest, PassesWithLibsodium) {
  const auto result = Ed25519KnownAnswerTest();
  EXPECT_TRUE(result.has_value()) << result.error().message;
}

}  // namespace
}  // namespace seedwell

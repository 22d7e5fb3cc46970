#include "crypto/secret_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

namespace seedwell {
namespace {

TEST(SecretArrayTest, MoveWipesTheSource) {
  SecretArray<32> a;
  std::fill(a.data(), a.data() + a.size(), 0xAB);
  SecretArray<32> b(std::move(a));
  EXPECT_TRUE(std::all_of(b.data(), b.data() + 32, [](auto v) { return v == 0xAB; }));
  EXPECT_TRUE(std::all_of(a.data(), a.data() + 32, [](auto v) { return v == 0; }));  // NOLINT
}

TEST(SecretArrayTest, WipeZeroes) {
  SecretArray<16> a;
  a[3] = 7;
  a.Wipe();
  EXPECT_EQ(a[3], 0);
}

TEST(SecretBufferTest, AllocatesZeroedAndMoves) {
  SecretBuffer buf(100);
  ASSERT_EQ(buf.size(), 100U);
  EXPECT_TRUE(std::all_of(buf.data(), buf.data() + 100, [](auto v) { return v == 0; }));
  buf.data()[99] = 1;
  SecretBuffer other = std::move(buf);
  EXPECT_EQ(other.size(), 100U);
  EXPECT_EQ(other.data()[99], 1);
  EXPECT_TRUE(buf.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  const std::uint8_t x[] = {1, 2, 3};
  const std::uint8_t y[] = {1, 2, 4};
  const std::uint8_t z[] = {1, 2};
  EXPECT_TRUE(ConstantTimeEquals(x, x));
  EXPECT_FALSE(ConstantTimeEquals(x, y));
  EXPECT_FALSE(ConstantTimeEquals(x, z));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
}

}  // namespace
}  // namespace seedwell

#include "crypto/self_test.h"

#include <gtest/gtest.h>

#include <set>

namespace seedwell {
namespace {

TEST(SelfTestTest, AllCryptoSelfTestsPass) {
  const std::vector<SelfTestResult> results = RunCryptoSelfTests();
  ASSERT_GE(results.size(), 2u);
  std::set<std::string> names;
  for (const SelfTestResult& r : results) {
    EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
    EXPECT_FALSE(r.name.empty());
    names.insert(r.name);
  }
  EXPECT_EQ(names.size(), results.size()) << "names must be unique";
  EXPECT_TRUE(names.count("chacha20-rfc8439"));
  EXPECT_TRUE(names.count("chacha-generator-kat"));
  EXPECT_TRUE(AllSelfTestsPassed(results));
}

TEST(SelfTestTest, ChachaVectorsAreAllRun) {
  int seen = 0;
  for (const SelfTestResult& r : RunCryptoSelfTests()) {
    if (r.name == "chacha20-rfc8439") {
      EXPECT_EQ(r.detail, "10 vectors");
      ++seen;
    }
  }
  EXPECT_EQ(seen, 1);
}

TEST(SelfTestTest, AllPassedRejectsEmptyAndAnyFailure) {
  EXPECT_FALSE(AllSelfTestsPassed({}));
  EXPECT_TRUE(AllSelfTestsPassed({{"a", true, ""}}));
  EXPECT_FALSE(AllSelfTestsPassed({{"a", true, ""}, {"b", false, "broken"}}));
}

}  // namespace
}  // namespace seedwell

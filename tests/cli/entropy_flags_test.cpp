#include "cli/entropy_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace seedwell {
namespace {

TEST(EntropyFlagsTest, DefaultsEnableEveryLocalSource) {
  const EntropyOptions o = EntropyOptionsFrom(EntropyFlags{});
  EXPECT_TRUE(o.sources.rdseed);
  EXPECT_TRUE(o.sources.rdrand);
  EXPECT_TRUE(o.sources.hwrng);
  EXPECT_TRUE(o.sources.kernel);
  EXPECT_EQ(o.sources.hwrng_path, "/dev/hwrng");
  EXPECT_TRUE(o.sources.upstream_egd.empty());
  EXPECT_FALSE(o.policy.allow_kernel_only);
}

TEST(EntropyFlagsTest, OnlyListedSourcesAreEnabled) {
  const EntropyOptions o = EntropyOptionsFrom(EntropyFlags{.sources = {"kernel", "upstream-egd"},
                                                           .hwrng_path = "/dev/other",
                                                           .allow_kernel_only = true});
  EXPECT_FALSE(o.sources.rdseed);
  EXPECT_FALSE(o.sources.rdrand);
  EXPECT_FALSE(o.sources.hwrng);
  EXPECT_TRUE(o.sources.kernel);
  EXPECT_EQ(o.sources.hwrng_path, "/dev/other");
  EXPECT_TRUE(o.sources.upstream_egd.empty());  // the address is serve's to set
  EXPECT_TRUE(o.policy.allow_kernel_only);
  EXPECT_TRUE(o.policy.required_sources.empty());
}

TEST(EntropyFlagsTest, SourceListedMatchesWholeNames) {
  const std::vector<std::string> sources = {"rdseed", "kernel"};
  EXPECT_TRUE(SourceListed(sources, "kernel"));
  EXPECT_FALSE(SourceListed(sources, "rdrand"));
  EXPECT_FALSE(SourceListed(sources, "kern"));
  EXPECT_FALSE(SourceListed({}, "kernel"));
}

}  // namespace
}  // namespace seedwell

#include "service/address_index.h"

#include <gtest/gtest.h>

#include <memory>

#include "service/store/sqlite_store.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

class AddressIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::Open(dir_.File("db.sqlite"));
    registry_ = std::make_unique<Registry>(*store_, [this] { return now_ms_; });
    index_ = std::make_unique<AddressIndex>(
        *registry_, [this] { return now_ms_; }, 5000);
  }

  void Add(const std::string& id, std::vector<std::string> cidrs) {
    Instance instance;
    instance.id = id;
    instance.project_id = "p";
    instance.allowed_cidrs = std::move(cidrs);
    ASSERT_TRUE(registry_->Create(instance).has_value());
  }

  std::int64_t now_ms_ = 1'700'000'000'000;
  testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<AddressIndex> index_;
};

constexpr char kA[] = "00000000-0000-4000-8000-00000000000a";
constexpr char kB[] = "00000000-0000-4000-8000-00000000000b";
constexpr char kC[] = "00000000-0000-4000-8000-00000000000c";

TEST_F(AddressIndexTest, FindsByAddressAndLongestPrefixWins) {
  Add(kA, {"10.0.0.0/24"});
  Add(kB, {"10.0.0.7/32", "fd00::7/128"});
  EXPECT_EQ(index_->Find("10.0.0.5").value()->id, kA);
  EXPECT_EQ(index_->Find("10.0.0.7").value()->id, kB);  // /32 beats /24
  EXPECT_EQ(index_->Find("fd00::7").value()->id, kB);
  EXPECT_EQ(index_->Find("::ffff:10.0.0.9").value()->id, kA);  // IPv4-mapped
  EXPECT_EQ(index_->Find("10.0.1.1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(index_->Find("not an ip").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(AddressIndexTest, EqualPrefixesOfTwoInstancesAreAmbiguous) {
  Add(kA, {"10.0.0.0/24"});
  Add(kB, {"10.0.0.0/24"});
  EXPECT_EQ(index_->Find("10.0.0.5").error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(AddressIndexTest, SeesLocalWritesAtOnce) {
  Add(kA, {"10.0.0.0/24"});
  ASSERT_TRUE(index_->Find("10.0.0.5").has_value());
  ASSERT_TRUE(registry_->Revoke(kA).has_value());  // revoked instances own no address
  EXPECT_EQ(index_->Find("10.0.0.5").error().code, ErrorCode::kNotFound);
  Add(kC, {"10.0.0.5/32"});
  EXPECT_EQ(index_->Find("10.0.0.5").value()->id, kC);
}

TEST_F(AddressIndexTest, SeesOtherReplicasWritesAfterTheTtl) {
  Add(kA, {"10.0.0.0/24"});
  ASSERT_TRUE(index_->Find("10.0.0.5").has_value());
  // Another replica (a second Registry on the same database) adds a more specific network.
  Registry other(*store_, [this] { return now_ms_; });
  Instance instance;
  instance.id = kB;
  instance.project_id = "p";
  instance.allowed_cidrs = {"10.0.0.5/32"};
  ASSERT_TRUE(other.Create(instance).has_value());
  EXPECT_EQ(index_->Find("10.0.0.5").value()->id, kA);  // still the old snapshot
  now_ms_ += 5000;
  EXPECT_EQ(index_->Find("10.0.0.5").value()->id, kB);
}

TEST_F(AddressIndexTest, TryFindAnswersFromTheCurrentSnapshotOnly) {
  Add(kA, {"10.0.0.0/24"});
  EXPECT_FALSE(index_->TryFind("10.0.0.5").has_value());  // no snapshot yet
  ASSERT_TRUE(index_->Find("10.0.0.5").has_value());      // builds one
  auto found = index_->TryFind("10.0.0.5");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value()->id, kA);
  EXPECT_EQ(index_->TryFind("10.0.1.1")->error().code, ErrorCode::kNotFound);
  EXPECT_EQ(index_->TryFind("not an ip")->error().code, ErrorCode::kInvalidArgument);
  Add(kC, {"10.0.0.5/32"});  // a local write makes the snapshot stale
  EXPECT_FALSE(index_->TryFind("10.0.0.5").has_value());
  EXPECT_EQ(index_->Find("10.0.0.5").value()->id, kC);
  now_ms_ += 5000;  // so does the TTL
  EXPECT_FALSE(index_->TryFind("10.0.0.5").has_value());
}

}  // namespace
}  // namespace seedwell

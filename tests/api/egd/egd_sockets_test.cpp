// EgdSockets and the node filter: which instances get an EGD socket (EgdSocketPath), and how the
// sockets follow instance events made here (with the record) and elsewhere (without it, as the
// change feed delivers another replica's writes), on a node agent (--node) and without one.
#include "api/egd/egd_sockets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/egd/egd_socket_path.h"
#include "service/store/sqlite_store.h"
#include "tests/testutil/service_stack.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

constexpr char kA[] = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";
constexpr char kB[] = "7b2f3d2f-0b66-4c4a-8e4d-2f1b1c7d8e9f";

Instance Placed(const std::string& id, std::optional<std::string> host) {
  Instance instance;
  instance.id = id;
  instance.project_id = "p";
  instance.host = std::move(host);
  return instance;
}

TEST(EgdSocketPathTest, NodeFilter) {
  Instance on_a = Placed(kA, "node-a");
  EXPECT_EQ(EgdSocketPath("/run/egd", "", on_a), std::string("/run/egd/") + kA + ".sock");
  EXPECT_EQ(EgdSocketPath("/run/egd/", "node-a", on_a), std::string("/run/egd/") + kA + ".sock");
  EXPECT_FALSE(EgdSocketPath("/run/egd", "node-b", on_a).has_value());
  EXPECT_FALSE(EgdSocketPath("/run/egd", "node", on_a).has_value());  // whole names only
  EXPECT_FALSE(EgdSocketPath("/run/egd", "NODE-A", on_a).has_value());
  EXPECT_FALSE(EgdSocketPath("", "node-a", on_a).has_value());  // no socket directory
  const Instance unplaced = Placed(kA, std::nullopt);
  EXPECT_TRUE(EgdSocketPath("/run/egd", "", unplaced).has_value());
  EXPECT_FALSE(EgdSocketPath("/run/egd", "node-a", unplaced).has_value());
  on_a.state = InstanceState::kRevoked;
  EXPECT_FALSE(EgdSocketPath("/run/egd", "node-a", on_a).has_value());
  EXPECT_FALSE(EgdSocketPath("/run/egd", "", on_a).has_value());
}

class EgdSocketsTest : public ::testing::Test, protected testing::ServiceStack {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BuildStack(dir_.path(), {}).has_value());
    // Another replica: its own Registry on the same store, whose events never reach ours.
    other_ = std::make_unique<Registry>(*store_, [] { return std::int64_t{1}; });
  }
  void TearDown() override {
    if (sockets_) sockets_->Stop();
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  void Start(const std::string& node, std::chrono::milliseconds reconcile = std::chrono::hours(1)) {
    server_ = std::make_unique<EgdServer>(options_, *registry_, *addresses_, *dispenser_, *entropy_,
                                          metrics_);
    thread_ = server_->StartThread();
    sockets_ =
        std::make_unique<EgdSockets>(*server_, *registry_, dir_.File("egd"), 0600, node, reconcile);
    ASSERT_TRUE(sockets_->Prepare().has_value());
  }
  bool HasSocket(const std::string& id) {
    struct stat st {};
    return lstat(dir_.File("egd/" + id + ".sock").c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  }
  // Eventually waits up to 3 s for the socket of |id| to exist (or not): the worker's lookups.
  bool Eventually(const std::string& id, bool present) {
    for (int i = 0; i < 300; ++i) {
      if (HasSocket(id) == present) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void Move(Registry& registry, const std::string& id, std::optional<std::string> host) {
    InstancePatch patch;
    patch.host = std::move(host);
    ASSERT_TRUE(registry.Update(id, patch).has_value());
  }

  testing::TempDir dir_;
  EgdOptions options_;
  MetricsRegistry metrics_;
  std::unique_ptr<Registry> other_;
  std::unique_ptr<EgdServer> server_;
  std::unique_ptr<EgdSockets> sockets_;
  std::thread thread_;
};

// Writes through this process carry the instance: applied before the call returns.
TEST_F(EgdSocketsTest, NodeAgentFollowsLocalCreatesMovesAndDeletes) {
  Start("node-a");
  ASSERT_TRUE(registry_->Create(Placed(kA, "node-a")).has_value());
  ASSERT_TRUE(registry_->Create(Placed(kB, "node-b")).has_value());
  EXPECT_TRUE(HasSocket(kA));
  EXPECT_FALSE(HasSocket(kB));
  Move(*registry_, kA, "node-b");
  EXPECT_FALSE(HasSocket(kA));
  Move(*registry_, kB, "node-a");
  EXPECT_TRUE(HasSocket(kB));
  Move(*registry_, kB, std::nullopt);
  EXPECT_FALSE(HasSocket(kB));
  Move(*registry_, kB, "node-a");
  ASSERT_TRUE(registry_->Revoke(kB).has_value());
  EXPECT_FALSE(HasSocket(kB));
  Move(*registry_, kA, "node-a");
  EXPECT_TRUE(HasSocket(kA));
  ASSERT_TRUE(registry_->Delete(kA).has_value());
  EXPECT_FALSE(HasSocket(kA));
}

// Another replica's writes arrive as events without the record (the change feed): the sockets'
// worker reads the instance and applies it.
TEST_F(EgdSocketsTest, NodeAgentFollowsAnotherReplicasWrites) {
  Start("node-a");
  ASSERT_TRUE(other_->Create(Placed(kA, "node-a")).has_value());
  ASSERT_TRUE(other_->Create(Placed(kB, "node-b")).has_value());
  EXPECT_FALSE(HasSocket(kA));  // nothing told this process yet
  registry_->Publish({InstanceChange::kCreated, kA, std::nullopt});
  registry_->Publish({InstanceChange::kCreated, kB, std::nullopt});
  EXPECT_TRUE(Eventually(kA, true));
  EXPECT_FALSE(HasSocket(kB));

  Move(*other_, kA, "node-b");
  Move(*other_, kB, "node-a");
  registry_->Publish({InstanceChange::kUpdated, kA, std::nullopt});
  registry_->Publish({InstanceChange::kUpdated, kB, std::nullopt});
  EXPECT_TRUE(Eventually(kA, false));
  EXPECT_TRUE(Eventually(kB, true));

  ASSERT_TRUE(other_->Delete(kB).has_value());
  registry_->Publish({InstanceChange::kDeleted, kB, std::nullopt});
  EXPECT_FALSE(HasSocket(kB));  // a deletion needs no lookup: gone at once

  // An update notice for an instance deleted meanwhile closes its socket too.
  Move(*other_, kA, "node-a");
  registry_->Publish({InstanceChange::kUpdated, kA, std::nullopt});
  ASSERT_TRUE(Eventually(kA, true));
  ASSERT_TRUE(other_->Delete(kA).has_value());
  registry_->Publish({InstanceChange::kUpdated, kA, std::nullopt});
  EXPECT_TRUE(Eventually(kA, false));
}

// Without --node every active instance has a socket, placed or not, wherever its host is.
TEST_F(EgdSocketsTest, WithoutANodeEveryActiveInstanceHasASocket) {
  ASSERT_TRUE(registry_->Create(Placed(kA, "node-a")).has_value());
  Start("");
  EXPECT_TRUE(HasSocket(kA));
  ASSERT_TRUE(registry_->Create(Placed(kB, std::nullopt)).has_value());
  EXPECT_TRUE(HasSocket(kB));
  Move(*registry_, kA, "node-z");
  EXPECT_TRUE(HasSocket(kA));
  ASSERT_TRUE(other_->Revoke(kA).has_value());
  registry_->Publish({InstanceChange::kRevoked, kA, std::nullopt});
  EXPECT_FALSE(HasSocket(kA));
}

// At start, and every reconcile period, the sockets match the store: what an event missed.
TEST_F(EgdSocketsTest, ReconcileCatchesMissedEvents) {
  ASSERT_TRUE(registry_->Create(Placed(kA, "node-a")).has_value());
  ASSERT_TRUE(registry_->Create(Placed(kB, "node-b")).has_value());
  Start("node-a", std::chrono::milliseconds(100));
  EXPECT_TRUE(HasSocket(kA));
  EXPECT_FALSE(HasSocket(kB));
  Move(*other_, kA, "node-b");  // no event reaches this process
  Move(*other_, kB, "node-a");
  EXPECT_TRUE(Eventually(kA, false));
  EXPECT_TRUE(Eventually(kB, true));
}

}  // namespace
}  // namespace seedwell

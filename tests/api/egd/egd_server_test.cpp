#include "api/egd/egd_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "service/store/sqlite_store.h"
#include "tests/testutil/service_stack.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

constexpr char kId[] = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";

// Client is a blocking test client with a 10 s receive timeout (no test waits on it unbounded).
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    Init(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  explicit Client(int tcp_port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(tcp_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Init(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void Send(const std::vector<std::uint8_t>& bytes) { ASSERT_TRUE(TrySend(bytes)); }
  // TrySend reports whether every byte was sent: a server that refuses a connection may close it
  // before the client's first send lands (EPIPE or ECONNRESET then).
  bool TrySend(const std::vector<std::uint8_t>& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Recv returns exactly |n| bytes, or fewer if the server closed or 10 s passed.
  std::vector<std::uint8_t> Recv(std::size_t n) {
    std::vector<std::uint8_t> out(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }
  // Closed reports whether the server closed the connection (within the receive timeout).
  bool Closed() {
    std::uint8_t b;
    return recv(fd_, &b, 1, 0) == 0;
  }

 private:
  void Init(bool ok) {
    connected_ = ok;
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  int fd_ = -1;
  bool connected_ = false;
};

class EgdServerTest : public ::testing::Test, protected testing::ServiceStack {
 protected:
  void SetUp() override {
    ASSERT_TRUE(BuildStack(dir_.path(), {.default_limits = {1 << 20, 1 << 20}}).has_value());
    config_.request_timeout_ms = 200;
    config_.max_connections_per_peer = 3;
    config_.max_pending = 8;
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  void CreateInstance(std::optional<RateLimit> limit, std::vector<std::string> cidrs = {}) {
    Instance instance;
    instance.id = kId;
    instance.project_id = "p";
    instance.rate_limit = limit;
    instance.allowed_cidrs = std::move(cidrs);
    ASSERT_TRUE(registry_->Create(instance).has_value());
  }
  void StartServer() {
    server_ = std::make_unique<EgdServer>(config_, *registry_, *addresses_, *dispenser_, *entropy_,
                                          metrics_);
    thread_ = server_->StartThread();
  }
  std::string OpenSocket() {
    const std::string path = dir_.File("i.sock");
    EXPECT_TRUE(server_->ListenUnix(kId, path, 0600, "test").has_value());
    return path;
  }
  double Event(const std::string& name) {
    const std::string text = metrics_.Render();
    const std::string key = "seedwell_egd_events_total{event=\"" + name + "\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
  }

  testing::TempDir dir_;
  EgdOptions config_;
  MetricsRegistry metrics_;
  std::unique_ptr<EgdServer> server_;
  std::thread thread_;
};

TEST_F(EgdServerTest, PipelinedRequestsAreAnsweredInOrder) {
  CreateInstance(std::nullopt);
  StartServer();
  const std::string path = OpenSocket();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Client c(path);
  ASSERT_TRUE(c.connected());
  c.Send({0x02, 0xff, 0x04, 0x01, 0x05, 0x00, 0x03, 0x00, 0x08, 0x01, 0xaa, 0x02, 0x03});
  EXPECT_EQ(c.Recv(255).size(), 255u);
  const auto pid_len = c.Recv(1);
  ASSERT_EQ(pid_len.size(), 1u);
  const auto pid = c.Recv(pid_len[0]);
  EXPECT_EQ(std::string(pid.begin(), pid.end()), std::to_string(getpid()));
  EXPECT_EQ(c.Recv(1), std::vector<std::uint8_t>{5});
  EXPECT_EQ(c.Recv(5).size(), 5u);
  const auto bits = c.Recv(4);
  ASSERT_EQ(bits.size(), 4u);
  EXPECT_GT(bits[0] | bits[1] | bits[2] | bits[3], 0);
  EXPECT_EQ(c.Recv(3).size(), 3u);  // after the ignored write-entropy
  EXPECT_EQ(Event("write_entropy_ignored"), 1);
}

TEST_F(EgdServerTest, UnknownCommandAndTruncatedRequestsClose) {
  CreateInstance(std::nullopt);
  StartServer();
  const std::string path = OpenSocket();
  Client bad(path), slow(path), good(path);
  bad.Send({0x02, 0x01, 0x09});
  EXPECT_EQ(bad.Recv(1).size(), 1u);  // the request before the bad byte is answered
  EXPECT_TRUE(bad.Closed());
  slow.Send({0x03, 0x00});
  EXPECT_TRUE(slow.Closed());
  good.Send({0x02, 0x10});
  EXPECT_EQ(good.Recv(16).size(), 16u);
  EXPECT_EQ(Event("unknown_command"), 1);
  EXPECT_EQ(Event("request_timeout"), 1);
}

TEST_F(EgdServerTest, BlockingReadOverTheLimitWaitsAndIsServed) {
  CreateInstance(RateLimit{200, 200});  // a 255-byte read exceeds the burst: served in chunks
  StartServer();
  Client c(OpenSocket());
  const auto start = std::chrono::steady_clock::now();
  c.Send({0x02, 0xff, 0x04});
  EXPECT_EQ(c.Recv(255).size(), 255u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  const auto len = c.Recv(1);  // FIFO: the pid reply comes after the wait
  ASSERT_EQ(len.size(), 1u);
  EXPECT_EQ(c.Recv(len[0]).size(), len[0]);
  EXPECT_GE(Event("rate_wait"), 1);
  dispenser_->FlushUsage();
  EXPECT_EQ(registry_->Usage(kId)->bytes_issued, 255u);
}

TEST_F(EgdServerTest, CapPerSocketAndCloseOnRevoke) {
  CreateInstance(std::nullopt);
  StartServer();
  const std::string path = OpenSocket();
  std::vector<std::unique_ptr<Client>> clients;
  int served = 0;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(path));
    // The 4th and 5th are over the per-socket cap of 3: closed at once, maybe before this send.
    const bool sent = clients.back()->TrySend({0x02, 0x01});
    EXPECT_TRUE(sent || i >= 3) << "client " << i;
    served += clients.back()->Recv(1).size() == 1 ? 1 : 0;
  }
  EXPECT_EQ(served, 3);
  server_->CloseUnix(kId, "test");
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(clients[0]->Closed());
  EXPECT_GE(Event("revoked"), 3);
}

TEST_F(EgdServerTest, TcpCallersAreIdentifiedByAddressOrRefused) {
  StartServer();
  auto port = server_->ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  Client stranger(*port);
  EXPECT_TRUE(stranger.Closed());  // no instance holds 127.0.0.1 and anonymous is off
  CreateInstance(std::nullopt, {"127.0.0.1/32"});
  Client known(*port);
  known.Send({0x02, 0x20});
  EXPECT_EQ(known.Recv(32).size(), 32u);
}

TEST_F(EgdServerTest, AnonymousTcpCallersShareAStrictBucket) {
  config_.allow_anonymous = true;
  config_.anonymous_burst_bytes = 64;
  StartServer();
  auto port = server_->ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  Client c(*port);
  c.Send({0x01, 0x40, 0x01, 0x40});  // the second non-blocking read finds the bucket empty
  EXPECT_EQ(c.Recv(1), std::vector<std::uint8_t>{64});
  EXPECT_EQ(c.Recv(64).size(), 64u);
  EXPECT_EQ(c.Recv(1), std::vector<std::uint8_t>{0});
}

TEST_F(EgdServerTest, StopClosesConnectionsAndRemovesSockets) {
  CreateInstance(std::nullopt);
  StartServer();
  const std::string path = OpenSocket();
  Client c(path);
  c.Send({0x02, 0x01});
  EXPECT_EQ(c.Recv(1).size(), 1u);
  server_->Stop();
  thread_.join();
  EXPECT_TRUE(c.Closed());
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace seedwell

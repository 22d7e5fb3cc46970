#include "api/http/connection_caps.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "tests/testutil/raw_http_client.h"

namespace seedwell {
namespace {

using testing::RawClient;

// Loopback is a listener on 127.0.0.1 that turns RawClients into accepted HttpConnections, owned
// by the test as a loop would own them.
class Loopback {
 public:
  Loopback() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Loopback() { ::close(listen_fd_); }
  Loopback(const Loopback&) = delete;
  Loopback& operator=(const Loopback&) = delete;

  // Connect opens a client from |source| and returns the server side of it, owned by |owner|.
  std::unique_ptr<HttpConnection> Connect(const char* source, const void* owner,
                                          std::unique_ptr<RawClient>& client) {
    client = std::make_unique<RawClient>(port_, source);
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd = ::accept(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len);
    auto c = HttpConnection::Accept(fd, peer, nullptr, limits_, std::chrono::steady_clock::now());
    c->set_owner(owner);
    return c;
  }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  HttpConnectionLimits limits_;
};

const char kLoops[2] = {};
const void* const kA = &kLoops[0];  // two loops, by identity only
const void* const kB = &kLoops[1];

TEST(ConnectionCapsTest, PerPeerCapRefusesOnlyThatAddress) {
  ConnectionCaps caps({.max_connections = 10, .max_connections_per_peer = 1, .max_lingering = 4});
  Loopback net;
  std::unique_ptr<RawClient> c1;
  std::unique_ptr<RawClient> c2;
  std::unique_ptr<RawClient> c3;
  auto first = net.Connect("127.0.0.2", kA, c1);
  auto same = net.Connect("127.0.0.2", kB, c2);
  auto other = net.Connect("127.0.0.3", kB, c3);
  HttpConnection* evict = nullptr;
  EXPECT_TRUE(caps.Admit(*first, kA, evict));
  EXPECT_FALSE(caps.Admit(*same, kB, evict));
  EXPECT_FALSE(same->counted());
  EXPECT_TRUE(caps.Admit(*other, kB, evict));
  EXPECT_EQ(caps.Open(), 2U);
  caps.Release(*first);
  caps.Release(*first);  // idempotent
  EXPECT_EQ(caps.Open(), 1U);
  EXPECT_TRUE(caps.Admit(*same, kB, evict)) << "the address's slot was freed";
  caps.Release(*same);
  caps.Release(*other);
  EXPECT_EQ(caps.Open(), 0U);
}

TEST(ConnectionCapsTest, AtTheCapTheLoopClosesItsOwnLongestWaiting) {
  ConnectionCaps caps({.max_connections = 2, .max_connections_per_peer = 8, .max_lingering = 4});
  Loopback net;
  std::vector<std::unique_ptr<RawClient>> clients(3);
  auto oldest = net.Connect("127.0.0.2", kA, clients[0]);
  auto busy = net.Connect("127.0.0.3", kA, clients[1]);
  auto newcomer = net.Connect("127.0.0.4", kA, clients[2]);
  HttpConnection* evict = nullptr;
  ASSERT_TRUE(caps.Admit(*oldest, kA, evict));
  ASSERT_TRUE(caps.Admit(*busy, kA, evict));
  ASSERT_TRUE(caps.Busy(*busy));  // being answered: never a victim
  ASSERT_TRUE(caps.Admit(*newcomer, kA, evict));
  EXPECT_EQ(evict, oldest.get()) << "the caller's own victim is handed back to close";
  EXPECT_FALSE(oldest->evicted());
  EXPECT_FALSE(oldest->counted());
  EXPECT_EQ(caps.Open(), 2U);
  EXPECT_EQ(caps.Evicted(), 1U);
  caps.Release(*oldest);  // the loop closes it: nothing left to settle
  EXPECT_EQ(caps.Open(), 2U);
}

TEST(ConnectionCapsTest, AVictimOfAnotherLoopIsShutDownAndSettledByItsOwnLoop) {
  ConnectionCaps caps({.max_connections = 1, .max_connections_per_peer = 8, .max_lingering = 4});
  Loopback net;
  std::unique_ptr<RawClient> victim_client;
  std::unique_ptr<RawClient> newcomer_client;
  auto victim = net.Connect("127.0.0.2", kB, victim_client);
  auto newcomer = net.Connect("127.0.0.3", kA, newcomer_client);
  HttpConnection* evict = nullptr;
  ASSERT_TRUE(caps.Admit(*victim, kB, evict));
  ASSERT_TRUE(caps.Admit(*newcomer, kA, evict));
  EXPECT_EQ(evict, nullptr) << "loop A must not close loop B's connection";
  EXPECT_TRUE(victim->evicted());
  EXPECT_TRUE(victim_client->ReadAll().empty()) << "its socket was shut down: the client sees EOF";
  EXPECT_EQ(caps.Open(), 1U) << "the victim no longer counts, though loop B has not closed it";
  EXPECT_FALSE(caps.Busy(*victim)) << "loop B, about to answer it, is told to close it instead";
  caps.Wait(*victim);  // nor is it queued again
  // A third connection finds no waiting victim (the newcomer is busy): refused.
  std::unique_ptr<RawClient> third_client;
  auto third = net.Connect("127.0.0.4", kA, third_client);
  ASSERT_TRUE(caps.Busy(*newcomer));
  EXPECT_FALSE(caps.Admit(*third, kA, evict));
  caps.Release(*victim);  // loop B closes it
  EXPECT_FALSE(victim->counted());
  EXPECT_EQ(caps.Open(), 1U);
  EXPECT_EQ(caps.Evicted(), 1U);
}

TEST(ConnectionCapsTest, EvictionsAcrossLoopsInFlightAreBounded) {
  const std::size_t n = ConnectionCaps::kMaxEvicting;
  ConnectionCaps caps(
      {.max_connections = n + 1, .max_connections_per_peer = 4 * n, .max_lingering = 4});
  Loopback net;
  std::vector<std::unique_ptr<RawClient>> clients(2 * n + 3);
  std::vector<std::unique_ptr<HttpConnection>> on_b;
  std::vector<std::unique_ptr<HttpConnection>> on_a;
  HttpConnection* evict = nullptr;
  for (std::size_t i = 0; i <= n; ++i) {
    on_b.push_back(net.Connect("127.0.0.2", kB, clients[i]));
    ASSERT_TRUE(caps.Admit(*on_b.back(), kB, evict));
  }
  // Loop A's newcomers evict loop B's idle connections, which loop B has not closed yet: after
  // kMaxEvicting of them the next newcomer is refused, though one of B's is still waiting,
  // rather than hold ever more descriptors beyond the cap.
  for (std::size_t i = 0; i <= n; ++i) {
    on_a.push_back(net.Connect("127.0.0.3", kA, clients[n + 1 + i]));
    const bool admitted = caps.Admit(*on_a.back(), kA, evict);
    EXPECT_EQ(admitted, i < n) << i;
    EXPECT_EQ(evict, nullptr);
    if (admitted) {
      ASSERT_TRUE(caps.Busy(*on_a.back()));
    }
  }
  EXPECT_EQ(caps.Open(), n + 1);
  caps.Release(*on_b.front());  // loop B closes one evicted connection: room for one more
  on_a.push_back(net.Connect("127.0.0.3", kA, clients[2 * n + 2]));
  EXPECT_TRUE(caps.Admit(*on_a.back(), kA, evict));
  EXPECT_TRUE(on_b.back()->evicted()) << "the last waiting one of loop B";
  EXPECT_EQ(caps.Open(), n + 1);
  EXPECT_EQ(caps.Evicted(), n + 1);
}

TEST(ConnectionCapsTest, LingeringSlotsAreBounded) {
  ConnectionCaps caps({.max_connections = 4, .max_connections_per_peer = 4, .max_lingering = 2});
  EXPECT_TRUE(caps.TryLinger());
  EXPECT_TRUE(caps.TryLinger());
  EXPECT_FALSE(caps.TryLinger());
  caps.EndLinger();
  EXPECT_TRUE(caps.TryLinger());
}

}  // namespace
}  // namespace seedwell

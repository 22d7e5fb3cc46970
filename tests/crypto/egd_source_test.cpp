#include "crypto/egd_source.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

// FakeEgdServer answers EGD blocking reads on a Unix socket with bytes 0, 1, 2, ... (or, when
// |silent|, reads requests and never answers). It serves one connection at a time.
class FakeEgdServer {
 public:
  FakeEgdServer(const std::string& path, bool silent) : silent_(silent) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeEgdServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int requests() const { return requests_; }

 private:
  static bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 20) > 0;
  }
  void Loop() {
    while (!stop_) {
      if (!Readable(fd_)) continue;
      const int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      std::uint8_t counter = 0;
      while (!stop_) {
        if (!Readable(conn)) continue;
        std::uint8_t req[2];
        if (recv(conn, req, 2, MSG_WAITALL) != 2 || req[0] != 0x02) break;
        ++requests_;
        if (silent_) continue;
        std::vector<std::uint8_t> reply(req[1]);
        for (auto& b : reply) b = counter++;
        if (send(conn, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
      }
      close(conn);
    }
  }
  int fd_ = -1;
  const bool silent_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(EgdSourceTest, ReadsInChunksOfAtMost255) {
  testing::TempDir dir;
  const std::string path = dir.File("up.sock");
  FakeEgdServer server(path, false);
  auto source = EgdSource::Create(path, std::chrono::milliseconds(2000), 4.0);
  ASSERT_TRUE(source.has_value());
  EXPECT_EQ((*source)->Name(), "upstream-egd");
  EXPECT_EQ((*source)->Kind(), SourceKind::kUpstream);
  EXPECT_EQ((*source)->MinEntropyPerByte(), 4.0);
  std::vector<std::uint8_t> out(600);
  ASSERT_TRUE((*source)->Read(out).has_value());
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<std::uint8_t>(i));
  EXPECT_EQ(server.requests(), 3);  // 255 + 255 + 90
  ASSERT_TRUE((*source)->Read(std::span<std::uint8_t>(out).first(10)).has_value());
  EXPECT_EQ(out[0], static_cast<std::uint8_t>(600));  // same connection, stream continues
}

TEST(EgdSourceTest, UnixPrefixIsAccepted) {
  testing::TempDir dir;
  const std::string path = dir.File("up.sock");
  FakeEgdServer server(path, false);
  auto source = EgdSource::Create("unix:" + path);
  ASSERT_TRUE(source.has_value());
  std::vector<std::uint8_t> out(8);
  EXPECT_TRUE((*source)->Read(out).has_value());
}

TEST(EgdSourceTest, AbsentUpstreamFailsThenBacksOff) {
  testing::TempDir dir;
  auto source = EgdSource::Create(dir.File("none.sock"), std::chrono::milliseconds(500));
  ASSERT_TRUE(source.has_value());
  std::vector<std::uint8_t> out(16, 0xaa);
  auto first = (*source)->Read(out);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(out, std::vector<std::uint8_t>(16, 0));  // wiped
  auto second = (*source)->Read(out);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("backing off"), std::string::npos);
}

TEST(EgdSourceTest, SilentUpstreamTimesOut) {
  testing::TempDir dir;
  const std::string path = dir.File("up.sock");
  FakeEgdServer server(path, true);
  auto source = EgdSource::Create(path, std::chrono::milliseconds(150));
  ASSERT_TRUE(source.has_value());
  std::vector<std::uint8_t> out(16);
  const auto start = std::chrono::steady_clock::now();
  auto read = (*source)->Read(out);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message.find("timed out"), std::string::npos);
  EXPECT_GE(took, std::chrono::milliseconds(140));
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(EgdSourceTest, RejectsMalformedAddresses) {
  for (const char* bad : {"", "nohostport", "host:", ":99", "host:port", "[::1:80", "h:123456"}) {
    auto source = EgdSource::Create(bad);
    ASSERT_FALSE(source.has_value()) << bad;
    EXPECT_EQ(source.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(EgdSource::Create("/x", std::chrono::milliseconds(10), 0.0).has_value());
  EXPECT_FALSE(EgdSource::Create("/x", std::chrono::milliseconds(10), 9.0).has_value());
  EXPECT_TRUE(EgdSource::Create("127.0.0.1:7").has_value());
  EXPECT_TRUE(EgdSource::Create("[::1]:7").has_value());
}

}  // namespace
}  // namespace seedwell

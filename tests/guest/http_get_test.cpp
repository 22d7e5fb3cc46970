// HttpGet and ParseHttpUrl: URL rules, and the client against a one-shot local server that sends
// canned replies (framed by Content-Length or by closing, chunked, oversized, silent, broken).
#include "guest/http_get.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace seedwell {
namespace {

using namespace std::chrono_literals;

// CannedServer accepts one connection on 127.0.0.1, reads the request head, sends |reply| and
// closes (or, with |silent|, holds the connection until destroyed).
class CannedServer {
 public:
  explicit CannedServer(std::string reply, bool silent = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 1);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, reply = std::move(reply), silent] {
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      char buf[4096];
      while (request_.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
        if (n <= 0) break;
        request_.append(buf, static_cast<std::size_t>(n));
      }
      if (!silent) {
        (void)::send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
      } else {
        (void)::recv(conn, buf, sizeof buf, 0);  // until the client gives up and closes
      }
      ::close(conn);
    });
  }
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  HttpUrl Url() const { return HttpUrl{"127.0.0.1", port_, "/"}; }
  const std::string& request() const { return request_; }  // valid after the call returns

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

Result<HttpReply> Get(const CannedServer& server, std::chrono::milliseconds timeout = 5s,
                      std::size_t max = 4096) {
  return HttpGet(server.Url(), "/v1/entropy?bytes=8", {{"Accept", "application/octet-stream"}},
                 std::chrono::steady_clock::now() + timeout, max);
}

std::string BodyOf(const HttpReply& reply) {
  return std::string(reinterpret_cast<const char*>(reply.body.data()), reply.body.size());
}

TEST(ParseHttpUrlTest, AcceptsHostsPortsAndPaths) {
  auto plain = ParseHttpUrl("http://169.254.169.254");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "169.254.169.254");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "/");
  auto full = ParseHttpUrl("http://seedwell.internal:8080/base/");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->host, "seedwell.internal");
  EXPECT_EQ(full->port, 8080);
  EXPECT_EQ(full->path, "/base/");
  auto v6 = ParseHttpUrl("http://[fd00::2]:81");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "fd00::2");
  EXPECT_EQ(v6->port, 81);
}

TEST(ParseHttpUrlTest, RefusesWhatItCannotServe) {
  for (const char* bad :
       {"https://x", "ftp://x", "x:80", "http://", "http://:80", "http://x:0", "http://x:65536",
        "http://x:8o", "http://x:", "http://u@x", "http://x/a b", "http://[fd00::1"}) {
    EXPECT_FALSE(ParseHttpUrl(bad)) << bad;
  }
  auto https = ParseHttpUrl("https://x");
  ASSERT_FALSE(https);
  EXPECT_NE(https.error().message.find("https is not supported"), std::string::npos);
}

TEST(HttpGetTest, ReadsAContentLengthReplyAndSendsTheHeaders) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSeedwell-Kid: k\r\n\r\nhello");
  auto reply = Get(server);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("seedwell-kid"), "k");
  EXPECT_EQ(BodyOf(*reply), "hello");
  EXPECT_NE(server.request().find("GET /v1/entropy?bytes=8 HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(server.request().find("Accept: application/octet-stream\r\n"), std::string::npos);
  EXPECT_NE(server.request().find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpGetTest, ReadsAReplyEndedByClosing) {
  CannedServer server("HTTP/1.0 429 Too Many Requests\r\nRetry-After: 3\r\n\r\n{\"a\":1}");
  auto reply = Get(server);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 429);
  EXPECT_EQ(reply->Header("retry-after"), "3");
  EXPECT_EQ(BodyOf(*reply), "{\"a\":1}");
}

TEST(HttpGetTest, RefusesMalformedChunkedAndOversizedReplies) {
  {
    CannedServer server("SMTP ready\r\n\r\n");
    EXPECT_FALSE(Get(server));
  }
  {
    CannedServer server(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    auto reply = Get(server);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
  }
  {
    CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nx");
    EXPECT_FALSE(Get(server));
  }
  {
    CannedServer server("HTTP/1.1 200 OK\r\n\r\n" + std::string(8192, 'x'));
    auto reply = Get(server);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
  }
  {
    CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    auto reply = Get(server);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  }
  {
    CannedServer server("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
    EXPECT_FALSE(Get(server));
  }
}

TEST(HttpGetTest, ASilentServerHitsTheDeadline) {
  CannedServer server("", /*silent=*/true);
  const auto start = std::chrono::steady_clock::now();
  auto reply = Get(server, 200ms);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(HttpGetTest, NobodyListeningIsUnavailable) {
  std::uint16_t port = 0;
  {
    CannedServer closed("HTTP/1.1 204 No Content\r\n\r\n");
    port = closed.Url().port;
    (void)Get(closed);
  }
  auto reply = HttpGet(HttpUrl{"127.0.0.1", port, "/"}, "/", {},
                       std::chrono::steady_clock::now() + 2s, 4096);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace seedwell

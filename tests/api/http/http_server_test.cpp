#include "api/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/testutil/raw_http_client.h"

namespace seedwell {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::RawClient;
using testing::StartsWith;
using testing::WaitFor;

// TestOptions runs two event loops, as the guest listener does on a 2-core host: every test then
// also covers connections spread over loops that share the caps.
HttpServerOptions TestOptions() {
  HttpServerOptions options;
  options.event_loops = 2;
  options.worker_threads = 4;
  options.request_deadline = milliseconds(300);
  options.idle_timeout = milliseconds(300);
  options.stop_grace = milliseconds(2000);
  return options;
}

// RunningServer runs an HttpServer on 127.0.0.1, port 0, and stops it when destroyed.
class RunningServer {
 public:
  explicit RunningServer(HttpServerOptions options = TestOptions()) : server(std::move(options)) {
    server.Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      ++get_calls;
      res.set_content("hello " + req.remote_addr + " " + req.get_header_value("REMOTE_ADDR"),
                      "text/plain");
    });
    server.Get(R"(/items/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("item " + req.matches[1].str(), "text/plain");
    });
    server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    server.Post(
        "/admin",
        [](const httplib::Request& req, httplib::Response& res) {
          res.set_content(std::to_string(req.body.size()), "text/plain");
        },
        64 * 1024);
    server.Get("/head-ok", [this](const httplib::Request&, httplib::Response& res) {
      ++get_calls;
      res.set_content("body", "text/plain");
    });
    server.AllowHead("/head-ok");
    server.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(std::size_t{1} << 20, 'b'), "application/octet-stream");
    });
    server.Get("/identify", [](const httplib::Request&, httplib::Response& res) {
      HttpServer::MarkCallerIdentified();
      res.set_content("known", "text/plain");
    });
    server.Get("/throw", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("secret detail");
    });
    server.SetRequestObserver([this](const RequestRecord& record) {
      std::lock_guard lock(mu);
      records.push_back(record);
    });
  }
  void Start() {
    auto port_or = server.Listen("127.0.0.1", 0);
    ASSERT_TRUE(port_or.has_value()) << port_or.error().message;
    port = *port_or;
    thread = std::thread([this] { server.Run(); });
  }
  ~RunningServer() {
    server.Stop();
    if (thread.joinable()) thread.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::vector<RequestRecord> Records() {
    std::lock_guard lock(mu);
    return records;
  }

  HttpServer server;
  std::thread thread;
  int port = 0;
  std::atomic<int> get_calls{0};
  std::mutex mu;
  std::vector<RequestRecord> records;
};

TEST(HttpServerTest, PortZeroServesAndObservesRoutePattern) {
  RunningServer s;
  s.Start();
  EXPECT_GT(s.port, 0);
  EXPECT_EQ(s.server.BoundPort(), s.port);
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Get("/items/42");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "item 42");
  ASSERT_TRUE(WaitFor([&] { return !s.Records().empty(); }));
  const RequestRecord record = s.Records().front();
  EXPECT_EQ(record.route, R"(/items/(\d+))");
  EXPECT_EQ(record.method, "GET");
  EXPECT_EQ(record.status, 200);
  EXPECT_EQ(record.peer, "127.0.0.1");
}

TEST(HttpServerTest, ChunkedBodyIsRefusedAndClosed) {
  RunningServer s;
  s.Start();
  RawClient c(s.port);
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  const std::string response = c.ReadAll();
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 411 ")) << response;
  EXPECT_NE(response.find("\"code\":\"length_required\""), std::string::npos);
}

TEST(HttpServerTest, ContentLengthWithTransferEncodingIs400) {
  RunningServer s;
  s.Start();
  RawClient c(s.port);
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
      "\r\n0\r\n\r\n");
  EXPECT_TRUE(StartsWith(c.ReadAll(), "HTTP/1.1 400 "));
}

TEST(HttpServerTest, TwentyThousandHeadersGet431) {
  RunningServer s;
  s.Start();
  RawClient c(s.port);
  std::string request = "GET /hello HTTP/1.1\r\n";
  for (int i = 0; i < 20000; ++i) request += "X-A: b\r\n";
  c.Send(request + "\r\n");  // may fail part-way once the server has refused
  const std::string response = c.ReadAll();
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 431 ")) << response.substr(0, 100);
  EXPECT_NE(response.find("request_header_fields_too_large"), std::string::npos);
  EXPECT_EQ(s.get_calls, 0);
}

TEST(HttpServerTest, HugeHeaderLineGets431) {
  RunningServer s;
  s.Start();
  RawClient c(s.port);
  c.Send("GET /hello HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a'));  // no newline
  const std::string response = c.ReadAll();
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 431 ")) << response.substr(0, 100);
}

TEST(HttpServerTest, GetBodyIsNotSmuggledAsSecondRequest) {
  RunningServer s;
  s.Start();
  RawClient c(s.port);
  const std::string smuggled = "GET /head-ok HTTP/1.1\r\nHost: x\r\n\r\n";
  c.Send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(smuggled.size()) +
         "\r\n\r\n");
  std::this_thread::sleep_for(milliseconds(50));  // a later segment, as in the attack
  c.Send(smuggled);
  const std::string response = c.ReadAll();
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 400 ")) << response;
  EXPECT_EQ(response.find("HTTP/1.1", 5), std::string::npos) << "a second response was sent";
  EXPECT_EQ(s.get_calls, 0);
}

TEST(HttpServerTest, HeadIsRefusedUnlessAllowed) {
  RunningServer s;
  s.Start();
  {
    RawClient c(s.port);
    c.Send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string response = c.ReadAll();
    EXPECT_TRUE(StartsWith(response, "HTTP/1.1 405 ")) << response;
    EXPECT_NE(response.find("Allow: GET\r\n"), std::string::npos);
    EXPECT_TRUE(response.ends_with("\r\n\r\n")) << "a HEAD answer carries no body";
    EXPECT_EQ(s.get_calls, 0);
  }
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Head("/head-ok");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(res->body.empty());
  EXPECT_EQ(s.get_calls, 1);
}

TEST(HttpServerTest, ClientRemoteAddrHeaderIsIgnored) {
  RunningServer s;
  s.Start();
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Get("/hello", {{"REMOTE_ADDR", "10.9.9.9"}, {"remote_port", "1"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "hello 127.0.0.1 127.0.0.1");
}

TEST(HttpServerTest, RangeHeaderIsIgnored) {
  RunningServer s;
  s.Start();
  std::string ranges = "bytes=0-1";
  for (int i = 0; i < 700; ++i) ranges += ",0-1";  // a line under the 4 KiB cap
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Get("/head-ok", {{"Range", ranges}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "body");
}

TEST(HttpServerTest, OtherMethodsGet405WithAllowAndUnknownPaths404) {
  RunningServer s;
  s.Start();
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Delete("/hello");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET");
  EXPECT_EQ(res->body,
            R"({"error":{"code":"method_not_allowed","message":"DELETE is not allowed here"}})");
  auto options = client.Options("/head-ok");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 405);
  EXPECT_EQ(options->get_header_value("Allow"), "GET, HEAD");
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("\"not_found\""), std::string::npos);
}

TEST(HttpServerTest, BodyLimitsArePerRoute) {
  RunningServer s;
  s.Start();
  httplib::Client client("127.0.0.1", s.port);
  auto small = client.Post("/echo", "ping", "text/plain");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->body, "ping");
  auto big = client.Post("/echo", std::string(5000, 'x'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("payload_too_large"), std::string::npos);
  auto admin = client.Post("/admin", std::string(10000, 'x'), "application/json");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200);
  EXPECT_EQ(admin->body, "10000");
}

TEST(HttpServerTest, EscapedExceptionBecomesGenericJson500) {
  RunningServer s;
  s.Start();
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Get("/throw");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_FALSE(res->has_header("EXCEPTION_WHAT"));
}

TEST(HttpServerTest, PerPeerCapRefusesOnlyThatPeer) {
  HttpServerOptions options = TestOptions();
  options.max_connections_per_peer = 3;
  options.idle_timeout = milliseconds(5000);
  options.request_deadline = milliseconds(5000);
  RunningServer s(options);
  s.Start();
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(s.port));
  ASSERT_TRUE(WaitFor([&] { return s.server.OpenConnections() == 3; }));
  RawClient refused(s.port);
  EXPECT_TRUE(StartsWith(refused.ReadAll(), "HTTP/1.1 503 "));
  RawClient other(s.port, "127.0.0.2");
  other.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(StartsWith(other.ReadResponse(), "HTTP/1.1 200 "));
}

TEST(HttpServerTest, TotalCapMakesRoomByClosingTheLongestWaiting) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 4;
  options.idle_timeout = milliseconds(5000);
  RunningServer s(options);
  s.Start();
  std::vector<std::unique_ptr<RawClient>> held;
  for (const char* source : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
    held.push_back(std::make_unique<RawClient>(s.port, source));
    ASSERT_TRUE(WaitFor([&] { return s.server.OpenConnections() == held.size(); }));
  }
  RawClient newcomer(s.port, "127.0.0.6");
  newcomer.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(StartsWith(newcomer.ReadResponse(), "HTTP/1.1 200 "));
  EXPECT_TRUE(held.front()->ReadAll().empty()) << "the oldest idle connection was closed";
  EXPECT_EQ(s.server.OpenConnections(), 4U);
  EXPECT_EQ(s.server.EvictedConnections(), 1U);
  held.clear();  // closing frees the slots; the newcomer's stays open
  ASSERT_TRUE(WaitFor([&] { return s.server.OpenConnections() == 1; }));
}

TEST(HttpServerTest, SlowClientsLeaveGoodClientServedPromptly) {
  HttpServerOptions options = TestOptions();
  options.max_connections_per_peer = 256;          // slow and good clients share 127.0.0.1
  options.request_deadline = milliseconds(10000);  // the deadline is not what saves us here
  options.idle_timeout = milliseconds(10000);
  RunningServer s(options);  // 4 workers only
  s.Start();
  std::vector<std::unique_ptr<RawClient>> slow;
  const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 100; ++i) {
    slow.push_back(std::make_unique<RawClient>(s.port));
    slow.back()->Send(request.substr(0, 1));
  }
  ASSERT_TRUE(WaitFor([&] { return s.server.OpenConnections() == 100; }));
  httplib::Client client("127.0.0.1", s.port);
  for (std::size_t round = 1; round < 4; ++round) {
    for (auto& c : slow) c->Send(request.substr(round, 1));  // one more byte each
    const auto start = steady_clock::now();
    auto res = client.Get("/hello");
    const auto took = steady_clock::now() - start;
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_LT(took, milliseconds(250)) << "round " << round;
  }
  EXPECT_GE(s.server.OpenConnections(), 100U);  // the slow clients were never dropped
}

// StalledClient connects from |source| with a 1,400-byte MSS and a small receive buffer (so
// loopback's large buffers cannot absorb a response), sends |request| and never reads. It
// returns the socket, which the caller closes.
int StalledClient(int port, const char* source, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int mss = 1400;
  const int rcvbuf = 4096;
  ::setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  if (testing::ConnectFrom(fd, source, port)) {
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  }
  return fd;
}

TEST(HttpServerTest, ClientsThatNeverReadHoldNoWorker) {
  HttpServerOptions options = TestOptions();      // 4 workers
  options.request_deadline = milliseconds(3000);  // also the write deadline
  options.idle_timeout = milliseconds(3000);
  RunningServer s(options);
  s.Start();
  // One address, 32 connections (8 times the pool) each asking for 1 MiB and never reading.
  std::vector<int> stalled;
  for (int i = 0; i < 32; ++i) {
    stalled.push_back(StalledClient(s.port, "127.0.0.2", "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  std::this_thread::sleep_for(milliseconds(300));  // every big response is under way
  for (int round = 0; round < 5; ++round) {
    const auto start = steady_clock::now();
    RawClient c(s.port, "127.0.0.3");
    c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string response = c.ReadResponse();
    const auto took = steady_clock::now() - start;
    EXPECT_TRUE(StartsWith(response, "HTTP/1.1 200 ")) << response;
    EXPECT_LT(took, milliseconds(250)) << "round " << round;
  }
  // The stalled connections are closed once the write deadline passes.
  const auto deadline = steady_clock::now() + milliseconds(6000);
  while (s.server.OpenConnections() > 0 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(s.server.OpenConnections(), 0U);
  for (const int fd : stalled) ::close(fd);
}

// RaiseOpenFileLimit lets this test process hold |wanted| descriptors (soft limit up to the hard
// one); it returns false if the hard limit is lower.
bool RaiseOpenFileLimit(rlim_t wanted) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= wanted) return true;
  if (limit.rlim_max < wanted) return false;
  limit.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

TEST(HttpServerTest, IdleConnectionsFromManyAddressesDoNotLockOutOthers) {
  // 32 addresses x 64 idle connections fill the 2,048 cap (issue 10, item 2).
  ASSERT_TRUE(RaiseOpenFileLimit(8192)) << "this test needs 8,192 open files (ulimit -Hn)";
  HttpServerOptions options = TestOptions();
  options.max_connections = 2048;
  options.max_connections_per_peer = 64;
  options.idle_timeout = milliseconds(20000);  // the idle cut must not be what saves us
  options.request_deadline = milliseconds(20000);
  RunningServer s(options);
  s.Start();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int a = 2; a < 34; ++a) {
    const std::string source = "127.0.0." + std::to_string(a);
    for (int i = 0; i < 64; ++i)
      idle.push_back(std::make_unique<RawClient>(s.port, source.c_str()));
  }
  const auto full = steady_clock::now() + milliseconds(5000);
  while (s.server.OpenConnections() < 2048 && steady_clock::now() < full) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(s.server.OpenConnections(), 2048U);
  std::vector<milliseconds> latencies;
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    const auto start = steady_clock::now();
    RawClient c(s.port, "127.0.0.1");
    c.Send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ok += StartsWith(c.ReadResponse(), "HTTP/1.1 200 ") ? 1 : 0;
    latencies.push_back(std::chrono::duration_cast<milliseconds>(steady_clock::now() - start));
  }
  std::sort(latencies.begin(), latencies.end());
  EXPECT_EQ(ok, 200);
  EXPECT_LT(latencies[197], milliseconds(100)) << "p99";
  EXPECT_LE(s.server.OpenConnections(), 2048U);
  EXPECT_GE(s.server.EvictedConnections(), 1U);  // the attackers do not reconnect here
}

// IsClosedByServer reports whether the server closed |fd| (EOF or reset) within 2 s.
bool IsClosedByServer(RawClient& c) { return c.ReadAll().empty(); }

TEST(HttpServerTest, IdentifiedConnectionsAreEvictedLast) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 4;
  options.idle_timeout = milliseconds(10000);
  options.request_deadline = milliseconds(10000);
  RunningServer s(options);
  s.Start();
  RawClient known(s.port, "127.0.0.2");  // the oldest, but identified by its handler
  known.Send("GET /identify HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(StartsWith(known.ReadResponse(), "HTTP/1.1 200 "));
  RawClient idle1(s.port, "127.0.0.3");
  RawClient idle2(s.port, "127.0.0.4");
  RawClient idle3(s.port, "127.0.0.5");
  ASSERT_TRUE(WaitFor([&] { return s.server.OpenConnections() == 4; }));
  RawClient newcomer(s.port, "127.0.0.6");  // takes the slot of idle1, the oldest unidentified
  newcomer.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(StartsWith(newcomer.ReadResponse(), "HTTP/1.1 200 "));
  EXPECT_TRUE(IsClosedByServer(idle1));
  EXPECT_EQ(s.server.EvictedConnections(), 1U);
  known.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(StartsWith(known.ReadResponse(), "HTTP/1.1 200 ")) << "the identified one survived";
}

TEST(HttpServerTest, BusySlotsAreNeverEvicted) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 2;
  options.request_deadline = milliseconds(3000);
  RunningServer s(options);
  s.Start();
  // Both slots hold a response the client does not read: no slot is waiting, so a newcomer gets
  // the 503 rather than cutting a response short.
  const int a = StalledClient(s.port, "127.0.0.2", "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  const int b = StalledClient(s.port, "127.0.0.3", "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(milliseconds(300));
  RawClient refused(s.port, "127.0.0.4");
  EXPECT_TRUE(StartsWith(refused.ReadAll(), "HTTP/1.1 503 "));
  EXPECT_EQ(s.server.EvictedConnections(), 0U);
  ::close(a);
  ::close(b);
}

TEST(HttpServerTest, AcceptOutOfDescriptorsPausesWithoutSpinning) {
  RunningServer s;
  s.Start();
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;  // take every descriptor left
  for (int fd = ::dup(0); fd >= 0 && fillers.size() < 4096; fd = ::dup(0)) fillers.push_back(fd);
  ASSERT_FALSE(fillers.empty());
  ::close(fillers.back());  // room for the client's socket, none for the server's accept
  fillers.pop_back();
  RawClient c(s.port);
  ASSERT_TRUE(c.connected());
  c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(milliseconds(500));
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  const auto cpu_us = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000L + r.ru_utime.tv_usec +
           r.ru_stime.tv_usec;
  };
  EXPECT_LT(cpu_us(after) - cpu_us(before), 150000L) << "the loop spun on EMFILE";
  for (const int fd : fillers) ::close(fd);  // descriptors back: the pending client is served
  ::setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_TRUE(StartsWith(c.ReadResponse(), "HTTP/1.1 200 "));
}

TEST(HttpServerTest, HostRulesAnswer400WithJson) {
  RunningServer s;
  s.Start();
  for (const char* request :
       {"GET /hello HTTP/1.1\r\n\r\n", "GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: a/b\r\n\r\n"}) {
    RawClient c(s.port);
    c.Send(request);
    const std::string response = c.ReadAll();
    EXPECT_TRUE(StartsWith(response, "HTTP/1.1 400 ")) << request;
    EXPECT_NE(response.find("Content-Type: application/json"), std::string::npos);
    EXPECT_NE(response.find(R"({"error":{"code":"invalid_argument","message":")"),
              std::string::npos)
        << response;
  }
  EXPECT_EQ(s.get_calls, 0);
  RawClient http10(s.port);
  http10.Send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(StartsWith(http10.ReadAll(), "HTTP/1.1 200 "));
}

TEST(HttpServerTest, RequestDeadlineIsTotalNotPerRecv) {
  RunningServer s;  // 300 ms deadline
  s.Start();
  RawClient c(s.port);
  const std::string request =
      "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const auto start = steady_clock::now();
  bool refused = false;
  for (std::size_t i = 0; i < request.size() && !refused; ++i) {  // a byte every 40 ms
    refused = !c.Send(request.substr(i, 1));
    std::this_thread::sleep_for(milliseconds(40));
    refused = refused || steady_clock::now() - start > milliseconds(1500);
  }
  const std::string response = c.ReadAll();
  const auto took = steady_clock::now() - start;
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 408 ")) << response;
  EXPECT_GE(took, milliseconds(280));
  EXPECT_LT(took, milliseconds(2500));
}

TEST(HttpServerTest, KeepAliveIsBoundedAndPipeliningIsOrdered) {
  HttpServerOptions options = TestOptions();
  options.max_requests_per_connection = 2;
  RunningServer s(options);
  s.Start();
  RawClient c(s.port);
  const std::string request = "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n";
  c.Send(request + request + request);
  const std::string all = c.ReadAll();
  const auto first = all.find("item 1");
  ASSERT_NE(first, std::string::npos) << all;
  EXPECT_NE(all.find("item 1", first + 1), std::string::npos);
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
  EXPECT_EQ(s.Records().size(), 2U);
}

TEST(HttpServerTest, StopLetsInFlightRequestFinish) {
  HttpServer server(TestOptions());
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  server.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    entered.set_value();
    released.wait_for(std::chrono::seconds(5));
    res.set_content("done", "text/plain");
  });
  auto port = server.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  std::thread runner([&] { server.Run(); });
  auto reply = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", *port);
    return client.Get("/slow");
  });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(2)), std::future_status::ready);
  server.Stop();
  RawClient late(*port);  // the listener closes promptly
  EXPECT_TRUE(WaitFor([&] { return !RawClient(*port).connected(); }));
  release.set_value();
  auto res = reply.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "done");
  EXPECT_EQ(res->get_header_value("Connection"), "close");
  runner.join();
}

// MakeSelfSigned writes a P-256 key and a self-signed certificate for 127.0.0.1 into |dir|.
void MakeSelfSigned(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* cert_file = std::fopen((dir / "cert.pem").c_str(), "w");
  FILE* key_file = std::fopen((dir / "key.pem").c_str(), "w");
  PEM_write_X509(cert_file, cert);
  PEM_write_PrivateKey(key_file, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(cert_file);
  std::fclose(key_file);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TEST(HttpServerTest, TlsRoundTrip) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("seedwell_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  MakeSelfSigned(dir);
  HttpServerOptions options = TestOptions();
  options.tls_cert_file = dir / "cert.pem";
  options.tls_key_file = dir / "key.pem";
  RunningServer s(options);
  s.Start();
  httplib::SSLClient client("127.0.0.1", s.port);
  client.enable_server_certificate_verification(false);
  auto res = client.Get("/items/7");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->body, "item 7");
  auto refused = client.Delete("/items/7");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 405);
  httplib::Client plain("127.0.0.1", s.port);  // plain HTTP on a TLS port gets nothing
  plain.set_read_timeout(1, 0);
  EXPECT_FALSE(plain.Get("/items/7"));
  std::filesystem::remove_all(dir);
}

TEST(HttpServerTest, BadTlsFilesFailListen) {
  HttpServerOptions options = TestOptions();
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  HttpServer server(options);
  auto port = server.Listen("127.0.0.1", 0);
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(HttpServer(TestOptions()).Listen("not-an-ip", 0).has_value());
}

}  // namespace
}  // namespace seedwell

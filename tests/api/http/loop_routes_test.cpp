// Routes served on HttpServer's event loop (ServeOnLoop): answered without a worker, framed like
// cpp-httplib's responses, deferred Finishers completed once per loop iteration in arrival order,
// declined requests served by the worker handler, throwing handlers answered 500, and the
// connection bounds (request cap per connection, Connection: close) kept.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_server.h"
#include "tests/testutil/raw_http_client.h"

namespace seedwell {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::StartsWith;
using testing::WaitFor;
using LoopOutcome = HttpServer::LoopOutcome;

// LoopServer registers /loop (answered at once), /deferred (answered by a Finisher that reports
// how many requests its loop iteration deferred), /decline (the loop declines it unless the
// query says ?loop), /hold (blocks its loop until released) and /throw (the loop handler throws).
class LoopServer {
 public:
  explicit LoopServer(HttpServerOptions options) : server(std::move(options)) {
    server.Get("/loop", [this](const httplib::Request&, httplib::Response& res) {
      ++worker_calls;
      res.set_content("worker", "text/plain");
    });
    server.Post(
        "/loop", [](const httplib::Request&, httplib::Response&) {}, 64);
    server.ServeOnLoop(
        "/loop", [this](const LoopRequest& req, httplib::Response& res, HttpServer::Finisher&) {
          loop_thread = std::this_thread::get_id();
          res.set_header("X-Seen-Path", req.path);
          res.set_header("X-Seen-Accept", std::string(req.Header("accept")));
          res.set_header("X-Loop", std::to_string(req.loop));
          res.set_content("loop " + std::string(req.method()) + " " + std::string(req.Param("q")) +
                              " " + std::string(req.body) + " " + std::string(req.remote_addr),
                          "text/plain");
          return LoopOutcome::kAnswered;
        });
    server.Get("/deferred", [](const httplib::Request&, httplib::Response&) {});
    server.ServeOnLoop("/deferred", [this](const LoopRequest& req, httplib::Response& res,
                                           HttpServer::Finisher& finish) {
      ++deferred;
      res.set_header("Cache-Control", "no-store");
      finish = [this, n = std::string(req.Param("n"))](httplib::Response& out) {
        // The first Finisher after a run of deferrals counts them: the iteration's batch.
        if (deferred > 0) {
          batch_size = deferred;
          deferred = 0;
        }
        out.set_content("deferred " + n + " of " + std::to_string(batch_size), "text/plain");
      };
      return LoopOutcome::kAnswered;
    });
    server.Get("/decline", [this](const httplib::Request&, httplib::Response& res) {
      ++worker_calls;
      res.set_content("worker", "text/plain");
    });
    server.ServeOnLoop("/decline",
                       [](const LoopRequest& req, httplib::Response& res, HttpServer::Finisher&) {
                         if (!req.HasParam("loop")) return LoopOutcome::kToWorker;
                         res.set_content("loop", "text/plain");
                         return LoopOutcome::kAnswered;
                       });
    server.Get("/hold", [](const httplib::Request&, httplib::Response&) {});
    server.ServeOnLoop(
        "/hold", [this](const LoopRequest& req, httplib::Response& res, HttpServer::Finisher&) {
          // Holds its loop (as no real loop handler may) until released, at most 2 s.
          held = true;
          for (int i = 0; i < 400 && !release; ++i) std::this_thread::sleep_for(milliseconds(5));
          res.set_content(std::to_string(req.loop), "text/plain");
          return LoopOutcome::kAnswered;
        });
    server.Get("/throw", [](const httplib::Request&, httplib::Response&) {});
    server.ServeOnLoop(
        "/throw", [](const LoopRequest&, httplib::Response&, HttpServer::Finisher&) -> LoopOutcome {
          throw std::runtime_error("secret detail");
        });
    auto port_or = server.Listen("127.0.0.1", 0);
    EXPECT_TRUE(port_or.has_value());
    port = port_or.value_or(0);
    thread = std::thread([this] { server.Run(); });
  }
  ~LoopServer() {
    server.Stop();
    thread.join();
  }
  LoopServer(const LoopServer&) = delete;
  LoopServer& operator=(const LoopServer&) = delete;

  HttpServer server;
  int port = 0;
  std::thread thread;
  std::atomic<int> worker_calls{0};
  std::thread::id loop_thread;
  std::atomic<bool> held{false};     // /hold's handler is running
  std::atomic<bool> release{false};  // lets /hold's handler return
  std::atomic<int> deferred{0};      // requests deferred since the last Finisher ran (loop thread)
  int batch_size = 0;                // loop thread only
};

HttpServerOptions Options() {
  HttpServerOptions options;
  options.worker_threads = 2;
  options.request_deadline = milliseconds(500);
  options.idle_timeout = milliseconds(2000);
  options.max_requests_per_connection = 3;
  return options;
}

TEST(LoopRoutesTest, AnswersOnTheLoopWithParsedRequest) {
  LoopServer s(Options());
  httplib::Client client("127.0.0.1", s.port);
  auto res = client.Get("/lo%6Fp?q=a%20b", {{"ACCEPT", "text/x-seen"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "loop GET a b  127.0.0.1");
  EXPECT_EQ(res->get_header_value("X-Seen-Path"), "/loop");
  EXPECT_EQ(res->get_header_value("X-Seen-Accept"), "text/x-seen");  // names match in any case
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(s.worker_calls, 0);
  EXPECT_NE(s.loop_thread, std::this_thread::get_id());

  auto posted = client.Post("/loop", "body!", "text/plain");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->body, "loop POST  body! 127.0.0.1");

  // A form body's fields are parameters too, after the query's.
  auto form = client.Post("/loop", "q=form%21", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->body, "loop POST form! q=form%21 127.0.0.1");
}

TEST(LoopRoutesTest, KeepsAliveUpToTheCapThenCloses) {
  LoopServer s(Options());
  RawClient c(s.port);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.Send("GET /loop HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string response = c.ReadResponse();
    EXPECT_TRUE(StartsWith(response, "HTTP/1.1 200 OK\r\n")) << response;
    EXPECT_NE(response.find("Keep-Alive: timeout=2, max=3\r\n"), std::string::npos) << response;
  }
  // The third request is the connection's last (max_requests_per_connection = 3).
  ASSERT_TRUE(c.Send("GET /loop HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string last = c.ReadAll();
  EXPECT_NE(last.find("Connection: close\r\n"), std::string::npos) << last;
  EXPECT_NE(last.find("loop GET"), std::string::npos) << last;
}

TEST(LoopRoutesTest, Http10KeepAliveIsSaidAndHeadSendsNoBody) {
  LoopServer s(Options());
  RawClient c(s.port);
  ASSERT_TRUE(c.Send("GET /loop HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const std::string response = c.ReadResponse();
  EXPECT_NE(response.find("Connection: keep-alive\r\n"), std::string::npos) << response;
  ASSERT_TRUE(c.Send("GET /loop HTTP/1.0\r\n\r\n"));  // HTTP/1.0 without keep-alive: closes
  const std::string closing = c.ReadAll();
  EXPECT_NE(closing.find("Connection: close\r\n"), std::string::npos) << closing;
}

TEST(LoopRoutesTest, PipelinedDeferredRequestsShareOneIterationInOrder) {
  LoopServer s(Options());
  RawClient c(s.port);
  // Three requests in one segment: the first is deferred, and each of the next two is parsed from
  // the buffer when the response before it is finished.
  ASSERT_TRUE(
      c.Send("GET /deferred?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /deferred?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /deferred?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string all = c.ReadAll();  // the third is the connection's last
  const auto first = all.find("deferred 1");
  const auto second = all.find("deferred 2");
  const auto third = all.find("deferred 3");
  ASSERT_NE(first, std::string::npos) << all;
  ASSERT_NE(second, std::string::npos) << all;
  ASSERT_NE(third, std::string::npos) << all;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_NE(all.find("Cache-Control: no-store\r\n"), std::string::npos) << all;
}

TEST(LoopRoutesTest, ConcurrentDeferredRequestsAreFinishedTogether) {
  LoopServer s(Options());
  // Many connections send at once; the loop defers what one iteration reads and finishes them
  // after it, so at least one Finisher sees more than one request in its batch.
  constexpr int kClients = 32;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(s.port));
    ASSERT_TRUE(clients.back()->connected());
  }
  bool batched = false;
  for (int round = 0; round < 20 && !batched; ++round) {
    for (int i = 0; i < kClients; ++i) {
      ASSERT_TRUE(clients[static_cast<std::size_t>(i)]->Send(
          "GET /deferred?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    for (int i = 0; i < kClients; ++i) {
      const std::string response = clients[static_cast<std::size_t>(i)]->ReadResponse();
      ASSERT_NE(response.find("deferred " + std::to_string(i) + " of "), std::string::npos)
          << response;
      batched = batched || response.find(" of 1") == std::string::npos;
    }
    // max 3 requests per connection: reconnect every round.
    for (auto& client : clients) client = std::make_unique<RawClient>(s.port);
  }
  EXPECT_TRUE(batched) << "no loop iteration deferred more than one request";
}

TEST(LoopRoutesTest, UnderLoadDeferredResponsesWaitForABatchOrTheWindow) {
  HttpServerOptions options = Options();
  options.finish_window = std::chrono::seconds(30);  // far longer than the test: only a full
  options.finish_batch = 3;                          // batch or Stop can finish these
  LoopServer s(options);
  RawClient lone(s.port);
  lone.Send("GET /deferred?n=a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(lone.ReadResponse().find("deferred a of 1"), std::string::npos)
      << "a request after a quiet spell is answered at once";
  // Less than the window after that, requests wait until three of them can share a batch.
  std::vector<std::unique_ptr<RawClient>> batch;
  for (const char* n : {"b", "c", "d"}) {
    batch.push_back(std::make_unique<RawClient>(s.port));
    batch.back()->Send(std::string("GET /deferred?n=") + n + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::string response = batch[i]->ReadResponse();
    EXPECT_NE(response.find(std::string("deferred ") + "bcd"[i] + " of 3"), std::string::npos)
        << response;
  }
  // One more waits for two others that never come, until the server stops: then it is answered.
  RawClient last(s.port);
  last.Send("GET /deferred?n=e HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return s.deferred == 1; }));
  s.server.Stop();
  EXPECT_NE(last.ReadResponse().find("deferred e of 1"), std::string::npos);
}

TEST(LoopRoutesTest, DeclinedRequestsGoToTheWorkerHandler) {
  LoopServer s(Options());
  httplib::Client client("127.0.0.1", s.port);
  auto declined = client.Get("/decline");
  ASSERT_TRUE(declined);
  EXPECT_EQ(declined->body, "worker");
  EXPECT_EQ(s.worker_calls, 1);
  auto kept = client.Get("/decline?loop=1");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->body, "loop");
  EXPECT_EQ(s.worker_calls, 1);
}

TEST(LoopRoutesTest, AThrowingHandlerIsA500AndTheLoopGoesOn) {
  LoopServer s(Options());
  httplib::Client client("127.0.0.1", s.port);
  auto thrown = client.Get("/throw");
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(thrown->body.find("secret detail"), std::string::npos) << thrown->body;
  auto next = client.Get("/loop");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST(LoopRoutesTest, ALoopBusyWithARequestLeavesNewConnectionsToTheOther) {
  HttpServerOptions options = Options();
  options.event_loops = 2;
  LoopServer s(options);
  ASSERT_EQ(s.server.event_loops(), 2U);
  RawClient holder(s.port);
  holder.Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitFor([&] { return s.held.load(); }));
  // The holding loop is not waiting on the listener, so the kernel wakes the other one: these
  // are answered while the first request still holds its loop.
  std::string loops_seen;
  for (int i = 0; i < 3; ++i) {
    RawClient other(s.port);
    other.Send("GET /loop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string response = other.ReadAll();
    EXPECT_TRUE(StartsWith(response, "HTTP/1.1 200 ")) << response;
    const auto at = response.find("X-Loop: ");
    ASSERT_NE(at, std::string::npos);
    loops_seen += response[at + 8];
  }
  EXPECT_FALSE(s.release.load()) << "answered while the other loop was held";
  s.release = true;
  const std::string held = holder.ReadResponse();
  ASSERT_TRUE(StartsWith(held, "HTTP/1.1 200 ")) << held;
  const char holding_loop = held.back();
  EXPECT_TRUE(holding_loop == '0' || holding_loop == '1') << held;
  EXPECT_EQ(loops_seen, std::string(3, holding_loop == '0' ? '1' : '0'));
}

TEST(LoopRoutesTest, RefusalsStillComeFromTheHead) {
  LoopServer s(Options());
  httplib::Client client("127.0.0.1", s.port);
  auto too_big = client.Post("/loop", std::string(65, 'x'), "text/plain");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  auto wrong_method = client.Delete("/loop");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "GET, POST");
}

}  // namespace
}  // namespace seedwell

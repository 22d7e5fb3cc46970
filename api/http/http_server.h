// HttpServer: seedwell's hardened HTTP/1.1 server, built on cpp-httplib 0.11.4's parser and router
// but owning the accept loop and every socket.
//
// Theory of operation. Event loops (HttpLoop, http_loop.h: HttpServerOptions::event_loops threads,
// all waiting on the one listener) accept connections and read requests on non-blocking sockets
// with epoll; a connection stays on the loop that accepted it. A request is handed to the bounded
// worker pool only once it is complete, validated (see request_head.h: size, header count and line
// caps, no chunked bodies, no bodies on GET/HEAD, per-route body limits, 405 with Allow, HEAD only
// where allowed) and sanitised (Range, Expect and client-sent REMOTE_ADDR-style headers removed). A
// worker then feeds it to the protected httplib::Server::process_request through a BoundedStream,
// so cpp-httplib never reads the network. Slow clients therefore cost a file descriptor and a small
// buffer, never a worker thread; every request has one total deadline from its first byte;
// connections are capped in total and per source address; refusals are a JSON 503 written at once.
// A worker never waits for a client either: the response is built in memory, sent without blocking,
// and what the socket does not take is sent by the loop as the client reads, within a write
// deadline.
//
// Loop routes. Routes registered with ServeOnLoop (the guest's hot paths) skip the worker pool:
// the loop builds the request from the head it already validated (no second parse), runs the
// handler, frames the response itself and writes it in the same iteration, so a keep-alive request
// costs one read and one write and no thread hand-off. Such handlers never block: one that would
// need the store declines and its request goes to a worker as above. A handler may defer the end
// of its response to a Finisher; the loop runs the iteration's Finishers after all its events,
// which lets the requests of one iteration share one Merkle batch signature. Under load the loop
// may hold them a little longer (finish_window) so that batches stay large when requests arrive
// a few at a time, as they do in a boot storm.
//
// Connection cap. The caps are the server's, whichever loop holds a connection (ConnectionCaps,
// connection_caps.h). At the total cap a new connection is not refused while some connection is
// merely waiting for a request (idle on keep-alive, or never sent one, or still sending its head):
// the one that has waited longest is closed to make room. Connections whose caller a handler
// identified (MarkCallerIdentified) are closed only when no other waiting connection is left. So
// idle connections from many addresses cannot keep registered guests out; a flood can only make
// idle connections short-lived. Only an address at its own per-peer cap, or a listener whose
// every slot is busy with a request, gets the 503. docs/security.md lists every bound.
//
// The per-connection state machine (reading, parsing, keep-alive, refusals, deadlines) is
// HttpConnection (http_connection.h); each loop's epoll machinery is HttpLoop (http_loop.h, the
// loop routes' serving in http_loop_answer.cpp); this file keeps the listener, the worker pool
// and the routes.
//
// TLS (admin listener) runs on the same loop: Transport wraps the socket in an OpenSSL session, so
// TLS connections get every protection above. httplib::SSLServer was not used because it reads
// the socket itself with per-recv timeouts and would bypass all of them.
//
// Thread-safety: register routes and the observer before Listen(); Stop() may be called from
// any thread (it only sets a flag and writes an eventfd).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "api/http/connection_caps.h"
#include "api/http/http_connection.h"
#include "api/http/http_loop.h"
#include "api/http/loop_exchange.h"
#include "api/http/request_head.h"
#include "api/http/route_table.h"
#include "api/http/transport.h"
#include "api/http/worker_pool.h"
#include "crypto/result.h"

namespace seedwell {

// HttpServerOptions bounds one listener. Defaults suit the guest listener on a 2-core host.
struct HttpServerOptions {
  std::size_t max_connections = 1024;         // open connections, in total
  std::size_t max_connections_per_peer = 64;  // open connections per source address
  std::size_t worker_threads = 48;
  std::size_t event_loops = 1;  // threads that accept, read, write and run loop routes (>= 1)
  // A loop runs its deferred Finishers (ServeOnLoop) at the end of an iteration once finish_batch
  // responses wait, or once finish_window has passed since it last ran them; until then it waits
  // for more requests to join them, at most finish_window. 0: at the end of every iteration.
  std::chrono::microseconds finish_window{0};
  std::size_t finish_batch = 16;
  std::size_t max_header_bytes = 8192;       // request line + headers
  std::size_t max_headers = 64;              // header lines
  std::size_t max_header_line_bytes = 4096;  // one request or header line
  std::size_t max_body_bytes = 4096;         // default per-route body limit
  std::size_t max_requests_per_connection = 100;
  std::size_t max_lingering = 512;  // refused connections kept open briefly to deliver the error
  std::chrono::milliseconds request_deadline{5000};  // first byte to last byte received; also
                                                     // the deadline to send a response
  std::chrono::milliseconds idle_timeout{5000};      // keep-alive wait for a next request
  std::chrono::milliseconds stop_grace{5000};        // Stop(): time left for in-flight requests
  std::string tls_cert_file;                         // both set: serve TLS
  std::string tls_key_file;
};

// RequestRecord describes one answered request for logs and metrics. |route| is the registered
// pattern (or "(unmatched)"), never the raw path, so metric labels stay bounded.
struct RequestRecord {
  std::string route;
  std::string method;
  int status = 0;
  std::chrono::microseconds latency{0};
  std::string peer;
};

// HttpServer serves registered routes on one listener; see the file comment.
class HttpServer final : private httplib::Server {
 public:
  using Handler = httplib::Server::Handler;

  // HttpServer makes a server bounded by |options|; it neither binds nor starts threads.
  explicit HttpServer(HttpServerOptions options);
  // ~HttpServer stops the workers and closes every connection and socket it still owns.
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Get registers |handler| (the server keeps it) for GET on the regex |pattern| (cpp-httplib
  // syntax; an invalid one throws std::regex_error, a start-up error). HEAD is refused with 405
  // unless AllowHead(pattern) is called.
  void Get(const std::string& pattern, Handler handler);
  // Post, Put, Patch and Delete register |handler| for that method; a request body may hold up
  // to |max_body_bytes| (0: HttpServerOptions::max_body_bytes), larger ones get 413.
  void Post(const std::string& pattern, Handler handler, std::size_t max_body_bytes = 0);
  void Put(const std::string& pattern, Handler handler, std::size_t max_body_bytes = 0);
  void Patch(const std::string& pattern, Handler handler, std::size_t max_body_bytes = 0);
  void Delete(const std::string& pattern, Handler handler, std::size_t max_body_bytes = 0);
  // AllowHead lets HEAD run the GET handler of |pattern| (the body is not sent).
  void AllowHead(const std::string& pattern);
  // LoopOutcome is what a loop handler did: answered (|res| holds the response, or will once its
  // Finisher ran), or declined, so that the request goes to the handler registered with Get or
  // Post, on a worker.
  enum class LoopOutcome { kAnswered, kToWorker };
  // Finisher completes a loop handler's response after the loop iteration's other requests ran.
  using Finisher = std::function<void(httplib::Response& res)>;
  // LoopHandler serves one request on an event loop; see ServeOnLoop.
  using LoopHandler =
      std::function<LoopOutcome(const LoopRequest& req, httplib::Response& res, Finisher&)>;
  // ServeOnLoop runs |handler| (the server keeps it) on the event-loop threads for every request
  // routed to |pattern|, which must be registered with Get/Post first and be a literal path.
  // The handler sees views of the head the loop already parsed (LoopRequest), and the loop
  // frames the response itself: no worker hand-off, no second parse. The handler must not block;
  // one that would (a cache miss only the store can answer) returns kToWorker, and the
  // registered handler serves the request on a worker. A handler that sets the Finisher has its
  // response completed after every event of the current loop iteration was handled, so work the
  // iteration's requests share (one Merkle batch signature) is done once. With several loops the
  // handler runs on each loop's thread at once; LoopRequest::loop says which loop (0 to
  // event_loops() - 1), for state kept per loop. A throwing handler or Finisher is logged and
  // answered 500.
  void ServeOnLoop(const std::string& pattern, LoopHandler handler);
  // SetRequestObserver calls |observer| once per answered or refused request, from the loop or a
  // worker thread; it must be thread-safe and quick.
  void SetRequestObserver(std::function<void(const RequestRecord&)> observer);

  // Listen binds |host| (a numeric IPv4 or IPv6 address) and |port| (0: any free port) with a
  // backlog of 4096, loads the TLS files if configured and sets up the event loops. It returns
  // the bound port, or kUnavailable / kInvalidArgument if binding or loading fails.
  Result<int> Listen(const std::string& host, int port);
  // Run serves until Stop() (running loop 0 on the calling thread and the others on threads of
  // their own), then lets in-flight requests finish within stop_grace, closes every connection
  // and returns. It returns at once if Listen() did not succeed.
  void Run();
  // Stop asks Run() to stop accepting and wind down; it returns at once.
  void Stop();
  // BoundPort returns the port Listen() bound, or -1.
  int BoundPort() const { return bound_port_; }
  // OpenConnections returns the number of connections counted against the caps.
  std::size_t OpenConnections() const { return caps_.Open(); }
  // EvictedConnections returns how many waiting connections were closed to make room at the cap.
  std::uint64_t EvictedConnections() const { return caps_.Evicted(); }
  // event_loops returns how many event loops serve connections (options.event_loops, at least 1).
  std::size_t event_loops() const { return options_.event_loops; }

  // DescriptorsNeeded returns the most file descriptors a server with |options| holds at once
  // (connections, lingering refusals, connections evicted by another loop but not yet closed, the
  // listener and each loop's own), for fitting listeners into RLIMIT_NOFILE.
  static std::size_t DescriptorsNeeded(const HttpServerOptions& options);
  // MarkCallerIdentified, called by a handler on its worker or loop thread, records that the
  // caller of the request being served is identified (for example a registered instance): its
  // connection is then evicted last when the cap is reached. It has no effect outside a handler.
  static void MarkCallerIdentified();

 private:
  friend class HttpLoop;  // the loops are this server's machinery: they use its routes and caps
  using TimePoint = HttpConnection::TimePoint;
  static constexpr const char* kUnmatched = "(unmatched)";

  void AddBodyRoute(const std::string& method, const std::string& pattern, std::size_t limit);
  Handler Wrap(const std::string& pattern, Handler handler);
  // Serve runs cpp-httplib for the dispatched connection |c|, on a worker.
  void Serve(HttpConnection& c);
  void Notify(const std::string& route, const std::string& method, int status, TimePoint started,
              const std::string& peer);

  HttpServerOptions options_;
  HttpConnectionLimits limits_;  // borrowed by every connection
  RouteTable routes_;
  std::vector<LoopHandler> loop_handlers_;  // by route index; empty: served by a worker
  std::function<void(const RequestRecord&)> observer_;
  std::shared_ptr<TlsContext> tls_;
  ConnectionCaps caps_;

  int listen_fd_ = -1;
  int bound_port_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::vector<std::unique_ptr<HttpLoop>> loops_;  // set up by Listen
  std::unique_ptr<WorkerPool> pool_;

  // The route pattern of the handler running on this thread, for RequestRecord, and whether it
  // called MarkCallerIdentified.
  static thread_local std::string t_route_;
  static thread_local bool t_identified_;
};

}  // namespace seedwell

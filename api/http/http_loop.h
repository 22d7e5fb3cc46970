// HttpLoop: one of HttpServer's event loops. Each loop is a thread with its own epoll set, its
// own connections and its own loop-route batch; all of a server's loops wait on the same
// listening socket (EPOLLEXCLUSIVE: the kernel wakes one idle loop per new connection, so a busy
// loop does not delay a newcomer another loop could take), and share the server's routes, worker
// pool and caps (connection_caps.h). A connection stays on the loop that accepted it.
//
// What a loop does with a connection (read, route, answer on the loop or on a worker, write,
// keep-alive, refuse, linger, deadlines) is described in http_server.h and http_connection.h;
// this class is that machinery for one thread. The loop routes' serving is in
// http_loop_answer.cpp.
//
// Thread-safety: Run, and everything it calls, runs on the loop's thread; Wake and the returned
// list may be used from any thread.
#pragma once

#include <time.h>

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <httplib.h>

#include "api/http/http_connection.h"
#include "crypto/result.h"

namespace seedwell {

class HttpServer;

// HttpLoop is one event loop of |server|; see the file comment. The server owns its loops and
// outlives them.
class HttpLoop {
 public:
  using TimePoint = HttpConnection::TimePoint;

  // HttpLoop makes loop number |index| of |server|; Open sets up its epoll set.
  HttpLoop(HttpServer& server, std::size_t index);
  // ~HttpLoop closes its connections, epoll set and eventfd (not the shared listener).
  ~HttpLoop();
  HttpLoop(const HttpLoop&) = delete;
  HttpLoop& operator=(const HttpLoop&) = delete;

  // Open creates the epoll set and eventfd and watches |listen_fd| (borrowed) exclusively; it
  // returns kUnavailable if the kernel refuses.
  Result<void> Open(int listen_fd);
  // Run serves until the server is asked to stop, then lets this loop's in-flight requests finish
  // within the stop grace, and returns with requests still on a worker cut short (their sockets
  // shut down). Connections stay allocated until Discard, after the workers stopped.
  void Run();
  // Wake interrupts the loop's epoll wait; safe from any thread.
  void Wake();
  // Discard forgets and closes every connection (after Run returned and the workers stopped).
  void Discard() {
    returned_.clear();
    connections_.clear();
  }

 private:
  void AcceptAll(TimePoint now);
  void OnEvent(HttpConnection& c, TimePoint now);
  void OnReadable(HttpConnection& c, TimePoint now);
  void OnWritable(HttpConnection& c, TimePoint now);
  void Dispatch(HttpConnection& c);
  bool AnswerOnLoop(HttpConnection& c, TimePoint now);
  // FinishDue reports whether the deferred responses are to be finished now (see
  // HttpServerOptions::finish_window); WaitTime is how long epoll may wait before they are.
  bool FinishDue(TimePoint now) const;
  timespec WaitTime() const;
  void FinishDeferred(TimePoint now);
  void Answer(HttpConnection& c, httplib::Response& res, TimePoint now);
  void DrainReturned(TimePoint now);
  void FinishResponse(HttpConnection& c, TimePoint now);
  bool SetInterest(HttpConnection& c, unsigned events);
  bool WatchListener(bool watch);
  void BeginStopping(TimePoint now);
  void Sweep(TimePoint now);
  void Reject(HttpConnection& c, const HttpRefusal& refusal);
  void Close(HttpConnection& c);

  HttpServer& server_;
  const std::size_t index_;
  int listen_fd_ = -1;  // the server's; -1 once this loop stopped accepting
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool listener_watched_ = false;

  std::unordered_map<int, std::unique_ptr<HttpConnection>> connections_;
  bool stopping_ = false;
  TimePoint stop_deadline_{};
  TimePoint accept_paused_until_{};
  TimePoint next_sweep_{};  // Sweep runs at most once a tick: it visits every connection

  struct Deferred {
    HttpConnection* connection;
    httplib::Response response;
    std::function<void(httplib::Response&)> finish;
  };
  std::vector<Deferred> deferred_;   // answered on the loop, waiting for the iteration's end
  std::vector<Deferred> finishing_;  // FinishDeferred's batch; the two swap and keep capacity
  TimePoint last_finish_{};          // when FinishDeferred last ran

  std::mutex returned_mu_;
  std::vector<HttpConnection*> returned_;  // handed back by workers
  std::vector<HttpConnection*> draining_;  // DrainReturned's batch; keeps its capacity
};

}  // namespace seedwell

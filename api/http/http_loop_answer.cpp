// HttpLoop's loop routes (HttpServer::ServeOnLoop; see "Loop routes" in http_server.h): requests
// answered on the event-loop thread, deferred Finishers run at the end of the loop iteration.
#include <sys/epoll.h>

#include <exception>
#include <utility>
#include <vector>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "api/http/http_loop.h"
#include "api/http/http_server.h"
#include "api/http/json_error.h"

namespace seedwell {

bool HttpLoop::AnswerOnLoop(HttpConnection& c, TimePoint now) {
  const std::size_t route = c.route();
  const auto& handlers = server_.loop_handlers_;
  if (route >= handlers.size() || !handlers[route]) return false;
  HttpServer::t_route_ = server_.routes_.Pattern(route);
  HttpServer::t_identified_ = false;
  httplib::Response res;
  HttpServer::Finisher finish;
  try {
    LoopRequest req = c.BuildRequest();
    req.loop = index_;
    if (handlers[route](req, res, finish) == HttpServer::LoopOutcome::kToWorker) return false;
  } catch (const std::exception& e) {
    spdlog::error("http: loop handler for {} {} threw ({}); answered 500", c.head()->method,
                  HttpServer::t_route_, e.what());
    res = httplib::Response();
    WriteHttpError(res, HttpError{500, "internal", "internal error"});
    finish = nullptr;
  }
  if (HttpServer::t_identified_) c.set_identified(true);
  c.BeginDispatch();  // neither read, swept nor evicted until answered
  if (finish) {
    deferred_.push_back(Deferred{&c, std::move(res), std::move(finish)});
  } else {
    Answer(c, res, now);
  }
  return true;
}

void HttpLoop::FinishDeferred(TimePoint now) {
  last_finish_ = now;
  // Answering may start a pipelined request that defers again: loop until none is left. The
  // two vectors trade places and keep their capacity: no allocation per iteration.
  while (!deferred_.empty()) {
    finishing_.swap(deferred_);
    for (Deferred& d : finishing_) {
      try {
        d.finish(d.response);
      } catch (const std::exception& e) {
        spdlog::error("http: loop finisher for {} threw ({}); answered 500",
                      d.connection->head()->method, e.what());
        d.response = httplib::Response();
        WriteHttpError(d.response, HttpError{500, "internal", "internal error"});
      }
      HttpServer::t_route_ = server_.routes_.Pattern(d.connection->route());
      Answer(*d.connection, d.response, now);
    }
    finishing_.clear();
  }
}

void HttpLoop::Answer(HttpConnection& c, httplib::Response& res, TimePoint now) {
  if (res.status == -1) res.status = 200;  // a handler that set no status: as cpp-httplib
  const int status = c.Respond(res, stopping_);
  sodium_memzero(res.body.data(), res.body.size());  // a block's data: copied to the socket
  server_.Notify(HttpServer::t_route_, c.head()->method, status, c.started(), c.peer_ip());
  if (c.HasPendingOutput()) {
    c.BeginWriting(now);
    SetInterest(c, c.WantsReadToWrite() ? EPOLLIN : EPOLLOUT);
    return;
  }
  FinishResponse(c, now);
}

}  // namespace seedwell

// HttpServer's loop routes (ServeOnLoop; see "Loop routes" in http_server.h): requests answered on
// the event-loop thread, deferred Finishers run at the end of the loop iteration.
#include "api/http/http_server.h"

#include <sys/epoll.h>

#include <exception>
#include <utility>
#include <vector>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "api/http/json_error.h"

namespace seedwell {

void HttpServer::ServeOnLoop(const std::string& pattern, LoopHandler handler) {
  const std::size_t index = routes_.IndexOf(pattern);
  if (loop_handlers_.size() <= index) loop_handlers_.resize(index + 1);
  loop_handlers_[index] = std::move(handler);
}

bool HttpServer::AnswerOnLoop(HttpConnection& c, TimePoint now) {
  const std::size_t route = c.route();
  if (route >= loop_handlers_.size() || !loop_handlers_[route]) return false;
  t_route_ = routes_.Pattern(route);
  t_identified_ = false;
  httplib::Response res;
  Finisher finish;
  try {
    const LoopRequest req = c.BuildRequest();
    if (loop_handlers_[route](req, res, finish) == LoopOutcome::kToWorker) return false;
  } catch (const std::exception& e) {
    spdlog::error("http: loop handler for {} {} threw ({}); answered 500", c.head()->method,
                  t_route_, e.what());
    res = httplib::Response();
    WriteHttpError(res, HttpError{500, "internal", "internal error"});
    finish = nullptr;
  }
  if (t_identified_) c.set_identified(true);
  c.BeginDispatch();  // neither read, swept nor evicted until answered
  Unqueue(c);
  if (finish) {
    deferred_.push_back(Deferred{&c, std::move(res), std::move(finish)});
  } else {
    Answer(c, res, now);
  }
  return true;
}

void HttpServer::FinishDeferred(TimePoint now) {
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
      t_route_ = routes_.Pattern(d.connection->route());
      Answer(*d.connection, d.response, now);
    }
    finishing_.clear();
  }
}

void HttpServer::Answer(HttpConnection& c, httplib::Response& res, TimePoint now) {
  if (res.status == -1) res.status = 200;  // a handler that set no status: as cpp-httplib
  const int status = c.Respond(res, stopping_);
  sodium_memzero(res.body.data(), res.body.size());  // a block's data: copied to the socket
  Notify(t_route_, c.head()->method, status, c.started(), c.peer_ip());
  if (c.HasPendingOutput()) {
    c.BeginWriting(now);
    SetInterest(c, c.WantsReadToWrite() ? EPOLLIN : EPOLLOUT);
    return;
  }
  FinishResponse(c, now);
}

}  // namespace seedwell

// HttpConnection: one connection accepted by HttpServer, and the state machine that carries it
// from one request to the next.
//
// Theory of operation. A connection is kReading while the event loop reads a request into its
// buffer: the head first (validated by ParseRequestHead, then checked against the routes by the
// server's RouteCheck), then exactly Content-Length body bytes, with one "100 Continue" if the
// client asked for it. A complete request makes it kDispatched: one worker thread owns it and runs
// Serve, which hands the sanitised request to cpp-httplib through a BoundedStream (the response
// goes into this connection's output buffer) and makes one non-blocking attempt to send it. Back
// on the loop, what the socket did not take turns the connection kWriting: the loop sends the
// rest as the socket drains, within the write deadline. Then it starts the next request
// (keep-alive) or is closed. A worker therefore never waits for a client. A refused request gets
// its JSON error in one non-blocking write, and the connection turns kLingering: it discards
// whatever the client still sends until a short deadline, so that closing does not reset the
// connection before the client has read the answer.
//
// Each state has one deadline: the idle timeout between keep-alive requests, the request deadline
// from a request's first byte, the write deadline (the same length) from the response being
// ready, the linger time after a refusal. A connection never closes or frees itself: OnReadable
// and OnWritable say what the server must do next, and the server keeps the connection table,
// the caps, the eviction queues and the epoll set.
//
// Thread-safety: the loop thread owns a connection, except while it is kDispatched, when only the
// worker running Serve touches it. The caps (connection_caps.h), shared by a server's loops, keep
// its counted flag and queue links under their lock, and may mark it evicted from another loop.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <httplib.h>
#include <tl/expected.hpp>

#include "api/http/json_error.h"
#include "api/http/loop_exchange.h"
#include "api/http/request_head.h"
#include "api/http/transport.h"

namespace seedwell {

// HttpConnectionLimits bounds every connection of one listener (from HttpServerOptions).
struct HttpConnectionLimits {
  HeadLimits head;
  std::chrono::milliseconds request_deadline{5000};  // first byte to last; also the write deadline
  std::chrono::milliseconds idle_timeout{5000};      // keep-alive wait for a next request
  std::size_t max_requests = 100;                    // requests served on one connection
  std::string keep_alive;  // Keep-Alive header value of loop responses: "timeout=5, max=100"
};

// HttpRefusal is an error answer after which the connection closes: the JSON error and, for a
// 405, the methods for the Allow header.
struct HttpRefusal {
  HttpError error;
  std::string allow;
};

// HttpNext is what the server must do with a connection after HttpConnection::OnReadable: wait for
// more bytes, hand the complete request to a worker, answer |refusal|, or close the connection.
struct HttpNext {
  enum class Action { kWait, kDispatch, kRefuse, kClose };
  Action action = Action::kWait;
  HttpRefusal refusal;  // for kRefuse
};

// SocketAddressText sets |ip| (numeric text) and |port| from the IPv4 or IPv6 address |addr|.
void SocketAddressText(const sockaddr_storage& addr, std::string& ip, int& port);

// HttpConnection is one accepted connection; see the file comment.
class HttpConnection {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class State { kReading, kDispatched, kWriting, kLingering };
  // RouteCheck returns the index of the route that takes the request |head| (method, path, body
  // length), else the refusal to answer (404, 405 with Allow, 400, 413).
  using RouteCheck = std::function<tl::expected<std::size_t, HttpRefusal>(const RequestHead& head)>;
  // Processor runs cpp-httplib on |stream| and returns false if the connection must close; it sets
  // |connection_closed| if the response closed it.
  using Processor =
      std::function<bool(httplib::Stream& stream, bool close_connection, bool& connection_closed)>;

  // Accept makes a connection of the socket |fd| accepted from |peer| (TCP_NODELAY comes from the
  // listener, which HttpServer::Listen sets it on) and wraps |fd| in TLS if |tls| is not null. It
  // takes ownership of |fd| and returns nullptr (the socket closed) if the TLS session cannot be
  // created. |limits| is borrowed and must outlive the connection; the first request must begin by
  // the idle timeout or the request deadline, whichever is shorter, from |now|.
  static std::unique_ptr<HttpConnection> Accept(int fd, const sockaddr_storage& peer,
                                                TlsContext* tls, const HttpConnectionLimits& limits,
                                                TimePoint now);
  ~HttpConnection();  // wipes the output buffer, closes the socket
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // OnReadable reads what the socket holds (in kReading no more than the current request needs;
  // in kLingering it discards it) and, in kReading, advances the request: parses the head, checks
  // it with |route|, sends "100 Continue" if asked. It returns kClose when the client closed or
  // the read failed, kRefuse for a bad head or a refused route, kDispatch once the request is
  // complete, else kWait. It does nothing (kWait) while kDispatched.
  HttpNext OnReadable(TimePoint now, const RouteCheck& route);

  // BeginDispatch marks the complete request as handed to a worker; CancelDispatch takes it back
  // (the worker pool refused it) so that it can be refused on the loop.
  void BeginDispatch() { state_ = State::kDispatched; }
  void CancelDispatch() { state_ = State::kReading; }

  // Serve, on a worker thread while kDispatched, hands the request to |process|, which writes the
  // response into the output buffer, then sends what the socket takes without waiting (the loop
  // sends the rest: BeginWriting). It closes the connection after this response if the client
  // asked, |stopping| is set or the connection served its last request; a throwing |process| is
  // logged and the connection closed. It returns the response status (0 if none was written).
  int Serve(const Processor& process, bool stopping);

  // BuildRequest, on the loop once the request is complete, makes the request a handler run on
  // the loop sees (loop_exchange.h); it views this connection's buffer, valid until the next read.
  LoopRequest BuildRequest() const;
  // Respond, on the loop, writes |res| (a loop handler's answer) into the output buffer framed as
  // Serve frames cpp-httplib's, and sends what the socket takes without waiting. It decides
  // keep-alive as Serve does and returns the response status.
  int Respond(const httplib::Response& res, bool stopping);
  // MayHoldInput reports whether the next request may already be readable without the socket
  // signalling it: bytes already buffered, or a TLS session that may hold decrypted records.
  bool MayHoldInput() const { return !buffer_.empty() || transport_->BuffersInput(); }

  // HasPendingOutput reports whether response bytes wait to be sent.
  bool HasPendingOutput() const { return out_pos_ < out_.size(); }
  // BeginWriting, on the loop, turns the connection kWriting until its output is sent or the
  // write deadline (the request deadline from |now|) passes.
  void BeginWriting(TimePoint now);
  // WriteResult is what OnWritable did: all output sent, some still waiting, or the write failed
  // (the connection must close).
  enum class WriteResult { kDone, kPending, kFailed };
  // OnWritable sends as much pending output as the socket takes, without waiting.
  WriteResult OnWritable();
  // WantsReadToWrite reports whether pending output waits for readability (TLS) rather than
  // writability, so the loop can watch the right event.
  bool WantsReadToWrite() const { return transport_->WantsReadToWrite(); }

  // StartNextRequest, on the loop after Serve, drops the request just served and waits for the
  // next (bytes already read may hold it; the caller should then call OnReadable). It returns
  // false, changing nothing, if the connection must close instead (Serve said so, or |stopping|).
  bool StartNextRequest(TimePoint now, bool stopping);

  // WriteRefusal writes |refusal| as a JSON error response with "Connection: close" in one
  // non-blocking attempt (a refusal is small and must never hold the loop); a short write is not
  // retried. A HEAD request gets the head only.
  void WriteRefusal(const HttpRefusal& refusal);
  // StartLinger sends a FIN and turns the connection kLingering until |now| plus the linger time.
  void StartLinger(TimePoint now);

  // Expiry is what a deadline check found: nothing, a connection to close, or a request begun but
  // not received in time (answer 408).
  enum class Expiry { kNone, kClose, kRequestTimeout };
  // CheckDeadline reports whether the connection's deadline passed at |now|; while |stopping|, an
  // idle connection expires at once. A kDispatched connection never expires here; a kWriting one
  // past its write deadline is closed.
  Expiry CheckDeadline(TimePoint now, bool stopping) const;

  // fd returns the socket, owned by the connection (closed when it is destroyed).
  int fd() const { return transport_->fd(); }
  // state returns where the connection is in the state machine (see the file comment).
  State state() const { return state_; }
  // peer_ip returns the client's address as numeric text (the key of the per-peer cap).
  const std::string& peer_ip() const { return peer_ip_; }
  // route returns the index of the route the current request was routed to (RouteCheck), once
  // its head is parsed.
  std::size_t route() const { return route_; }
  // head returns the current request's head, once parsed.
  const std::optional<RequestHead>& head() const { return head_; }
  // started returns when the current request's first byte arrived (or the previous request
  // ended), TimePoint{} before the first request.
  TimePoint started() const { return started_; }
  // counted reports whether the server counts this connection against its caps; set_counted is
  // the caps' to change, under their lock (connection_caps.h).
  bool counted() const { return counted_; }
  void set_counted(bool counted) { counted_ = counted; }
  // identified reports whether a handler said this connection's caller is identified (see
  // HttpServer::MarkCallerIdentified); the server evicts such connections last.
  bool identified() const { return identified_; }
  void set_identified(bool identified) { identified_ = identified; }
  // watched returns the epoll events the server registered for the socket, kNotWatched if none;
  // the server's to keep current.
  static constexpr unsigned kNotWatched = ~0U;
  unsigned watched() const { return watched_; }
  void set_watched(unsigned events) { watched_ = events; }

  // owner identifies the event loop that owns the connection (HttpLoop), set once after Accept.
  const void* owner() const { return owner_; }
  void set_owner(const void* loop) { owner_ = loop; }
  // MarkEvicted, from another loop, records that the caps evicted this connection and shut its
  // socket down; evicted tells its own loop to close it. Safe from any thread.
  void MarkEvicted() { evicted_.store(true, std::memory_order_release); }
  bool evicted() const { return evicted_.load(std::memory_order_acquire); }

  // QueueLinks places the connection in one of the server's intrusive eviction queues
  // (ConnectionQueue); only the queue touches them.
  struct QueueLinks {
    HttpConnection* prev = nullptr;
    HttpConnection* next = nullptr;
    const void* queue = nullptr;  // the queue holding the connection, or null
  };
  QueueLinks& links() { return links_; }

 private:
  HttpConnection(std::unique_ptr<Transport> transport, const HttpConnectionLimits& limits)
      : transport_(std::move(transport)), limits_(limits) {}
  HttpNext Advance(const RouteCheck& route);
  // ResolveLocalAddress reads the socket's local address once, when a request first needs it
  // (a connection refused or closed before its first request never pays the system call).
  void ResolveLocalAddress();

  std::unique_ptr<Transport> transport_;
  const HttpConnectionLimits& limits_;
  std::string peer_ip_;
  int peer_port_ = 0;
  std::string local_ip_;
  int local_port_ = 0;
  const void* owner_ = nullptr;
  std::atomic<bool> evicted_{false};
  bool counted_ = false;
  bool identified_ = false;
  unsigned watched_ = kNotWatched;
  QueueLinks links_;
  State state_ = State::kReading;
  std::string buffer_;
  std::optional<RequestHead> head_;
  std::size_t route_ = 0;
  bool continue_sent_ = false;
  TimePoint started_{};   // first byte of the current request
  TimePoint deadline_{};  // idle, request or linger deadline, by state
  std::string out_;       // response bytes; [out_pos_, end) not yet sent
  std::size_t out_pos_ = 0;
  // ClearOutput wipes and empties out_ (keeping its capacity): a response may carry a guest's
  // entropy, which must not stay behind in memory the next response or free() reuses.
  void ClearOutput();
  std::size_t served_ = 0;
  bool keep_ = false;  // set by Serve: the connection may serve another request
};

}  // namespace seedwell

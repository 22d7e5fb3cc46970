#include "api/http/http_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "api/http/bounded_stream.h"
#include "api/http/loop_exchange.h"

namespace seedwell {

namespace {

constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kReadChunk = 4096;

}  // namespace

void SocketAddressText(const sockaddr_storage& addr, std::string& ip, int& port) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &a6.sin6_addr, text.data(), text.size());
    port = ntohs(a6.sin6_port);
  } else {
    const auto& a4 = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &a4.sin_addr, text.data(), text.size());
    port = ntohs(a4.sin_port);
  }
  ip = text.data();
}

std::unique_ptr<HttpConnection> HttpConnection::Accept(int fd, const sockaddr_storage& peer,
                                                       TlsContext* tls,
                                                       const HttpConnectionLimits& limits,
                                                       TimePoint now) {
  std::string peer_ip;
  int peer_port = 0;
  SocketAddressText(peer, peer_ip, peer_port);
  std::unique_ptr<Transport> transport =
      tls != nullptr ? tls->NewTransport(fd) : std::make_unique<Transport>(fd);
  if (!transport) return nullptr;
  std::unique_ptr<HttpConnection> c(new HttpConnection(std::move(transport), limits));
  c->peer_ip_ = std::move(peer_ip);
  c->peer_port_ = peer_port;
  c->deadline_ = now + std::min(limits.idle_timeout, limits.request_deadline);
  return c;
}

HttpNext HttpConnection::OnReadable(TimePoint now, const RouteCheck& route) {
  std::array<char, kReadChunk> chunk{};
  while (state_ == State::kReading || state_ == State::kLingering) {
    std::size_t want = chunk.size();
    if (state_ == State::kReading) {
      const std::size_t cap =
          head_ ? head_->head_bytes + head_->content_length : limits_.head.max_head_bytes + 1;
      if (buffer_.size() >= cap) break;
      want = std::min(want, cap - buffer_.size());
    }
    const ssize_t n = transport_->Read(chunk.data(), want);
    if (n == kWouldBlock) break;
    if (n <= 0) return HttpNext{HttpNext::Action::kClose, {}};
    if (state_ == State::kLingering) continue;  // drain and discard
    if (buffer_.empty() && !head_) {
      started_ = now;
      deadline_ = now + limits_.request_deadline;
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    // A short read of a plain socket drained it: the next read would only say EAGAIN, and the
    // level-triggered loop reports any later bytes.
    if (static_cast<std::size_t>(n) < want && !transport_->BuffersInput()) break;
  }
  if (state_ != State::kReading) return {};
  return Advance(route);
}

HttpNext HttpConnection::Advance(const RouteCheck& route) {
  if (!head_) {
    if (buffer_.empty()) return {};
    auto parsed = ParseRequestHead(buffer_, limits_.head);
    if (!parsed) return HttpNext{HttpNext::Action::kRefuse, HttpRefusal{parsed.error(), ""}};
    if (!parsed->has_value()) return {};  // need more bytes
    head_ = std::move(**parsed);
    auto routed = route(*head_);
    if (!routed) return HttpNext{HttpNext::Action::kRefuse, std::move(routed.error())};
    route_ = *routed;
  }
  if (buffer_.size() >= head_->head_bytes + head_->content_length) {
    return HttpNext{HttpNext::Action::kDispatch, {}};
  }
  if (head_->expect_continue && !continue_sent_) {
    // One non-blocking attempt: the loop never waits for a client. If the socket takes nothing,
    // the client sends its body after its own timeout (RFC 9110 section 10.1.1); a partial
    // interim response cannot be completed, so the connection closes.
    constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    continue_sent_ = true;
    const ssize_t n = transport_->Write(kContinue.data(), kContinue.size());
    if (n != kWouldBlock && n != static_cast<ssize_t>(kContinue.size())) {
      return HttpNext{HttpNext::Action::kClose, {}};
    }
  }
  return {};
}

int HttpConnection::Serve(const Processor& process, bool stopping) {
  const RequestHead& head = *head_;
  const std::string request =
      head.Sanitised() + buffer_.substr(head.head_bytes, head.content_length);
  ResolveLocalAddress();
  BoundedStream stream(request, out_, peer_ip_, peer_port_, local_ip_, local_port_);
  const bool close = head.wants_close || stopping || served_ + 1 >= limits_.max_requests;
  bool connection_closed = false;
  bool ok = false;
  try {
    ok = process(stream, close, connection_closed);
  } catch (...) {  // a last resort: cpp-httplib itself threw (e.g. bad_alloc)
    spdlog::error("http: request processing threw; closing connection");
  }
  keep_ = ok && !close && !connection_closed;
  ++served_;
  if (OnWritable() == WriteResult::kFailed) keep_ = false;
  return stream.Status();
}

void HttpConnection::ResolveLocalAddress() {
  if (!local_ip_.empty()) return;
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  if (::getsockname(fd(), reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    SocketAddressText(local, local_ip_, local_port_);
  }
}

LoopRequest HttpConnection::BuildRequest() const {
  const RequestHead& head = *head_;
  return BuildLoopRequest(head,
                          std::string_view(buffer_).substr(head.head_bytes, head.content_length),
                          peer_ip_, peer_port_);
}

int HttpConnection::Respond(const httplib::Response& res, bool stopping) {
  const RequestHead& head = *head_;
  const bool close = head.wants_close || stopping || served_ + 1 >= limits_.max_requests ||
                     res.get_header_value("Connection") == "close";
  AppendResponse(
      res,
      ResponseFraming{head.method == "HEAD", close, head.version == "HTTP/1.0", limits_.keep_alive},
      out_);
  keep_ = !close;
  ++served_;
  if (OnWritable() == WriteResult::kFailed) keep_ = false;
  return res.status;
}

void HttpConnection::BeginWriting(TimePoint now) {
  state_ = State::kWriting;
  deadline_ = now + limits_.request_deadline;
}

HttpConnection::WriteResult HttpConnection::OnWritable() {
  while (out_pos_ < out_.size()) {
    const ssize_t n = transport_->Write(out_.data() + out_pos_, out_.size() - out_pos_);
    if (n == kWouldBlock) return WriteResult::kPending;
    if (n <= 0) {
      ClearOutput();
      return WriteResult::kFailed;
    }
    out_pos_ += static_cast<std::size_t>(n);
  }
  ClearOutput();
  return WriteResult::kDone;
}

void HttpConnection::ClearOutput() {
  sodium_memzero(out_.data(), out_.size());
  out_.clear();  // keeps its capacity for the next response
  out_pos_ = 0;
}

HttpConnection::~HttpConnection() { sodium_memzero(out_.data(), out_.size()); }

bool HttpConnection::StartNextRequest(TimePoint now, bool stopping) {
  if (!keep_ || stopping) return false;
  buffer_.erase(0, head_->head_bytes + head_->content_length);
  head_.reset();
  continue_sent_ = false;
  state_ = State::kReading;
  started_ = now;
  deadline_ = now + (buffer_.empty() ? limits_.idle_timeout : limits_.request_deadline);
  return true;
}

void HttpConnection::WriteRefusal(const HttpRefusal& refusal) {
  const HttpError& error = refusal.error;
  const std::string body = JsonErrorBody(error.code, error.message);
  std::string response =
      "HTTP/1.1 " + std::to_string(error.status) + " " + std::string(HttpReason(error.status)) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n";
  if (!refusal.allow.empty()) response += "Allow: " + refusal.allow + "\r\n";
  response += "\r\n";
  if (!(head_ && head_->method == "HEAD")) response += body;
  [[maybe_unused]] const ssize_t n = transport_->Write(response.data(), response.size());
}

void HttpConnection::StartLinger(TimePoint now) {
  // Read and discard what the client still sends, so closing does not reset the connection
  // before the client has read our answer.
  transport_->ShutdownWrite();
  state_ = State::kLingering;
  deadline_ = now + kLingerTime;
  buffer_.clear();
}

HttpConnection::Expiry HttpConnection::CheckDeadline(TimePoint now, bool stopping) const {
  if (state_ == State::kDispatched) return Expiry::kNone;
  if (state_ == State::kWriting) return now < deadline_ ? Expiry::kNone : Expiry::kClose;
  const bool idle = state_ == State::kReading && buffer_.empty();
  if (now < deadline_ && !(stopping && idle)) return Expiry::kNone;
  if (state_ == State::kReading && !buffer_.empty() && now >= deadline_) {
    return Expiry::kRequestTimeout;
  }
  return Expiry::kClose;
}

}  // namespace seedwell

// Loop exchange: a request served on HttpServer's event loop without cpp-httplib's parser. The
// head was already parsed and validated once (request_head.h); BuildLoopRequest gives a handler
// views of it (LoopRequest), and AppendResponse writes the handler's httplib::Response
// into the connection's output buffer, framed as cpp-httplib frames its own responses (status
// line, the handler's headers, Content-Type and Content-Length, Connection or Keep-Alive).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <httplib.h>

#include "api/http/request_head.h"

namespace seedwell {

// LoopRequest is what a loop handler sees, built from the head the connection already parsed:
// views of that head and of the body (valid during the handler's call only: a Finisher copies
// what it keeps), the peer's address, the percent-decoded path, and the query's and a form
// body's parameters, parsed as cpp-httplib parses them. It has no local address (no loop route
// needs one, and finding it costs a system call per connection) and no multipart parts.
struct LoopRequest {
  const RequestHead& head;
  std::string_view body;
  std::string_view remote_addr;
  int remote_port = 0;
  std::string path;        // percent-decoded
  httplib::Params params;  // query, then form fields
  std::size_t loop = 0;  // the event loop serving it (HttpServer::event_loops), for per-loop state

  std::string_view method() const { return head.method; }
  // Header returns the first value of header |name| (any case) as the client sent it, or ""
  // when there is none. The peer's address is remote_addr, never a header.
  std::string_view Header(std::string_view name) const;
  // Param returns the first value of parameter |name|, or "" when there is none.
  std::string_view Param(const std::string& name) const;
  bool HasParam(const std::string& name) const { return params.contains(name); }
};

// BuildLoopRequest makes the request a loop handler sees from |head|, its |body| and the peer's
// address. It allocates only for a percent-encoded path and for parameters.
LoopRequest BuildLoopRequest(const RequestHead& head, std::string_view body,
                             std::string_view remote_addr, int remote_port);

// ResponseFraming is what the connection decided about a response.
struct ResponseFraming {
  bool head_only = false;       // a HEAD request: the body is not sent, its length is
  bool close = false;           // the connection closes after this response
  bool http10 = false;          // the request was HTTP/1.0: keep-alive must be said
  std::string_view keep_alive;  // the Keep-Alive header value ("timeout=5, max=100")
};

// AppendResponse appends |res| (status, headers, body) framed by |framing| to |out|. A handler's
// own Connection, Content-Length or Keep-Alive headers are replaced by the framing's.
void AppendResponse(const httplib::Response& res, const ResponseFraming& framing, std::string& out);

}  // namespace seedwell

// Loop exchange: a request served on HttpServer's event loop without cpp-httplib's parser. The
// head was already parsed and validated once (request_head.h); BuildLoopRequest turns it into the
// httplib::Request a handler expects, and AppendResponse writes the handler's httplib::Response
// into the connection's output buffer, framed as cpp-httplib frames its own responses (status
// line, the handler's headers, Content-Type and Content-Length, Connection or Keep-Alive).
#pragma once

#include <string>
#include <string_view>

#include <httplib.h>

#include "api/http/request_head.h"

namespace seedwell {

// LoopPeer is the two ends of the connection a loop request arrived on.
struct LoopPeer {
  const std::string& remote_ip;
  int remote_port = 0;
  const std::string& local_ip;
  int local_port = 0;
};

// BuildLoopRequest makes the request a handler sees from |head| and its |body|: method, target,
// version, the percent-decoded path, query parameters (and a form body's fields), the headers
// Sanitised keeps, the body and the addresses of |peer|. |matches| stays empty (loop routes are
// literal paths); multipart bodies are not parsed (no loop route takes one).
httplib::Request BuildLoopRequest(const RequestHead& head, std::string_view body,
                                  const LoopPeer& peer);

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

// RequestHead: seedwell's own strict parser for an HTTP/1.x request head, run before cpp-httplib
// sees a byte, so that framing is decided in one place and the body's length is known before any
// of it is read.
//
// It accepts only CRLF line endings, token methods, origin-form targets, HTTP/1.0 and HTTP/1.1,
// and bounds the head's total size, the number of header lines and each line's length. Framing
// doubts are errors, never guesses: Transfer-Encoding is refused (411, or 400 with
// Content-Length), as are repeated or malformed Content-Length, obsolete line folding and
// Content-Encoding on requests (a compressed body would escape the size bound). Singleton fields
// are checked too (RFC 9112 section 3.2): an HTTP/1.1 request without Host, or any request with
// two Host fields, an invalid Host or two Authorization fields, is a 400.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "api/http/json_error.h"

namespace seedwell {

// HeadLimits bounds one request head.
struct HeadLimits {
  std::size_t max_head_bytes = 8192;  // request line + headers + the blank line
  std::size_t max_headers = 64;
  std::size_t max_line_bytes = 4096;  // one request or header line, without CRLF
};

// RequestHead is a parsed, validated request head.
struct RequestHead {
  std::string method;
  std::string target;                                        // as sent, e.g. "/v1/entropy?bytes=64"
  std::string version;                                       // "HTTP/1.0" or "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::size_t head_bytes = 0;      // length of the head including the final CRLFCRLF
  std::size_t content_length = 0;  // 0 when absent
  bool expect_continue = false;
  bool wants_close = false;  // "Connection: close", or HTTP/1.0 without keep-alive

  // Path returns the target without its query string (still percent-encoded).
  std::string_view Path() const;
  // Sanitised returns the head to hand to cpp-httplib: the request line and headers minus those
  // that must never reach handlers (Range, If-Range, Expect, REMOTE_ADDR, REMOTE_PORT,
  // LOCAL_ADDR, LOCAL_PORT), ending with a blank line.
  std::string Sanitised() const;
  // IsDropped reports whether header |name| is one Sanitised removes.
  static bool IsDropped(std::string_view name);
};

// ParseRequestHead parses the head at the start of |buffer|. It returns std::nullopt while the
// head is incomplete and still within |limits|, the head once complete, or the HttpError to answer
// (after which the connection must be closed).
tl::expected<std::optional<RequestHead>, HttpError> ParseRequestHead(std::string_view buffer,
                                                                     const HeadLimits& limits);

}  // namespace seedwell

// HttpGet: the guest tool's one HTTP/1.1 request, small enough to link statically into an
// initramfs.
//
// Theory of operation: cpp-httplib as Debian ships it is a compiled shared library that pulls in
// OpenSSL, zlib and brotli, which a static guest binary cannot carry, and the guest needs exactly
// one thing: GET a URL with a few headers and read a bounded reply. So this is a deliberately
// narrow client: `http://` only (blocks are signed and may be sealed, so the transport needs no
// secrecy), `Connection: close`, a reply framed by Content-Length or by the server closing, no
// chunked encoding, no redirects. The reply is read into a SecretBuffer because an unsealed block
// carries entropy in its body. Every step (connect, send, each read) honours one deadline.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

// HttpUrl is a parsed `http://host[:port][/path]` URL.
struct HttpUrl {
  std::string host;  // a name, an IPv4 address or an IPv6 address without brackets
  std::uint16_t port = 80;
  std::string path = "/";  // always starts with '/'
};

// ParseHttpUrl parses |url|. It fails with kInvalidArgument for any scheme but http (https names
// the reason), an empty host, a bad port, or characters that cannot appear in a request line.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// HttpReply is a response: status code, headers (names lower-cased) and the body in wiped memory.
struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  SecretBuffer body;

  // Header returns the first value of the header named |name| in any case, or an empty view.
  std::string_view Header(std::string_view name) const;
};

// ParseReplyHead fills |reply|'s status and headers from a response head (the status line and
// header lines, CRLF-separated, without the blank line). kInvalidArgument if it is not HTTP/1.x
// with a valid status code or a header line has no name.
Result<void> ParseReplyHead(std::string_view head, HttpReply& reply);

// HttpGet sends `GET |target|` to |url|'s host with |headers| (name, value) and returns the reply.
// |target| is the path and query, starting with '/'. It fails with kUnavailable when the host
// cannot be resolved or reached, the deadline passes or the connection breaks; kInvalidArgument
// when the reply is malformed, chunked, or longer than |max_reply_bytes|. Host names are resolved
// with getaddrinfo; an address literal never needs a resolver (in a static binary, use one).
Result<HttpReply> HttpGet(const HttpUrl& url, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::chrono::steady_clock::time_point deadline,
                          std::size_t max_reply_bytes);

}  // namespace seedwell

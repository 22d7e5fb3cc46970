#include "api/http/request_head.h"

#include <algorithm>
#include <array>

#include "api/http/http_text.h"

namespace seedwell {

namespace {

// CharTable is a 256-entry membership table: ASCII letters and digits plus |extra| (the C
// locale's isalnum, without a call per character).
struct CharTable {
  std::array<bool, 256> in{};
  constexpr explicit CharTable(std::string_view extra) {
    for (int c = '0'; c <= '9'; ++c) in[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) in[c] = in[c + 32] = true;
    for (const char c : extra) in[static_cast<unsigned char>(c)] = true;
  }
  constexpr bool operator()(char c) const { return in[static_cast<unsigned char>(c)]; }
};

// tchar (RFC 9110 section 5.6.2).
constexpr CharTable kTokenChars("!#$%&'*+-.^_`|~");

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), kTokenChars);
}

// A field value may hold visible characters, spaces, tabs and obs-text, nothing else.
bool IsValidValue(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

tl::unexpected<HttpError> Reject(int status, std::string code, std::string message) {
  return tl::unexpected(HttpError{status, std::move(code), std::move(message)});
}

tl::unexpected<HttpError> TooLarge(std::string message) {
  return Reject(431, "request_header_fields_too_large", std::move(message));
}

tl::unexpected<HttpError> Malformed(std::string message) {
  return Reject(400, "invalid_argument", std::move(message));
}

// kHostChars are the characters of a reg-name or IP literal (RFC 3986 section 3.2.2:
// unreserved, pct-encoded, sub-delims; ':' only inside brackets, checked by the caller).
constexpr CharTable kHostChars("-._~%!$&'()*+,;=");

// IsValidHost reports whether |value| is a Host field value: uri-host [ ":" port ] (RFC 9110
// section 7.2), possibly empty.
bool IsValidHost(std::string_view value) {
  std::string_view rest = value;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    const std::string_view literal = rest.substr(1, close - 1);
    if (!std::all_of(literal.begin(), literal.end(),
                     [](char c) { return c == ':' || kHostChars(c); })) {
      return false;
    }
    rest.remove_prefix(close + 1);
  } else {
    const std::size_t colon = std::min(rest.find(':'), rest.size());
    if (!std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(colon), kHostChars)) {
      return false;
    }
    rest.remove_prefix(colon);
  }
  if (rest.empty()) return true;
  return rest.front() == ':' &&
         std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ContainsToken(std::string_view list, std::string_view token) {
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (EqualsIgnoreCase(TrimOws(list.substr(start, comma - start)), token)) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::string_view RequestHead::Path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

bool RequestHead::IsDropped(std::string_view name) {
  constexpr std::array<std::string_view, 7> kDropped = {
      "Range", "If-Range", "Expect", "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"};
  return std::any_of(kDropped.begin(), kDropped.end(),
                     [&](std::string_view d) { return EqualsIgnoreCase(name, d); });
}

std::string RequestHead::Sanitised() const {
  std::string out = method + " " + target + " " + version + "\r\n";
  for (const auto& header : headers) {
    if (!IsDropped(header.first)) {
      out += header.first;
      out += ": ";
      out += header.second;
      out += "\r\n";
    }
  }
  out += "\r\n";
  return out;
}

tl::expected<std::optional<RequestHead>, HttpError> ParseRequestHead(std::string_view buffer,
                                                                     const HeadLimits& limits) {
  // Walk complete lines first, so oversized or too many lines are refused before the head ends.
  // The list is the thread's own and keeps its capacity: no allocation per request.
  thread_local std::vector<std::string_view> lines;
  lines.clear();
  std::size_t pos = 0;
  bool complete = false;
  while (true) {
    const std::size_t lf = buffer.find('\n', pos);
    if (lf == std::string_view::npos) {
      if (buffer.size() - pos > limits.max_line_bytes) return TooLarge("header line too long");
      break;
    }
    if (lf == pos || buffer[lf - 1] != '\r') return Malformed("lines must end with CRLF");
    std::string_view line = buffer.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    if (line.size() > limits.max_line_bytes) return TooLarge("header line too long");
    if (pos > limits.max_head_bytes) return TooLarge("request head too large");
    if (line.empty()) {
      if (lines.empty()) return Malformed("empty request line");
      complete = true;
      break;
    }
    lines.push_back(line);
    if (lines.size() > limits.max_headers + 1) return TooLarge("too many header fields");
  }
  if (!complete) {
    if (buffer.size() >= limits.max_head_bytes) return TooLarge("request head too large");
    return std::optional<RequestHead>();
  }

  RequestHead head;
  head.head_bytes = pos;
  // Request line: METHOD SP target SP version, single spaces.
  const std::string_view request_line = lines.front();
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Malformed("malformed request line");
  }
  head.method = request_line.substr(0, sp1);
  head.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  head.version = request_line.substr(sp2 + 1);
  if (!IsToken(head.method)) return Malformed("malformed method");
  if (head.target.empty() || head.target.front() != '/' ||
      !std::all_of(head.target.begin(), head.target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
      })) {
    return Malformed("malformed request target");
  }
  if (head.version != "HTTP/1.1" && head.version != "HTTP/1.0") {
    return Reject(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
  }

  head.headers.reserve(lines.size() - 1);
  bool saw_content_length = false;
  bool saw_transfer_encoding = false;
  bool saw_host = false;
  bool saw_authorization = false;
  bool keep_alive = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') return Malformed("obsolete line folding");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed("malformed header field");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (!IsToken(name)) return Malformed("malformed header name");
    if (!IsValidValue(value)) return Malformed("malformed header value");
    if (EqualsIgnoreCase(name, "Content-Length")) {
      if (saw_content_length) return Malformed("repeated Content-Length");
      if (value.empty() || value.size() > 9 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Malformed("malformed Content-Length");
      }
      saw_content_length = true;
      head.content_length = std::stoul(std::string(value));
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      saw_transfer_encoding = true;
    } else if (EqualsIgnoreCase(name, "Host")) {
      // RFC 9112 section 3.2: more than one Host, or an invalid one, is a 400.
      if (saw_host) return Malformed("repeated Host header");
      if (!IsValidHost(value)) return Malformed("malformed Host header");
      saw_host = true;
    } else if (EqualsIgnoreCase(name, "Authorization")) {
      // One credential per request: two would let the router and a handler disagree on who asks.
      if (saw_authorization) return Malformed("repeated Authorization header");
      saw_authorization = true;
    } else if (EqualsIgnoreCase(name, "Content-Encoding") && !EqualsIgnoreCase(value, "identity")) {
      return Reject(415, "unsupported_media_type", "compressed request bodies are not accepted");
    } else if (EqualsIgnoreCase(name, "Expect")) {
      if (!EqualsIgnoreCase(value, "100-continue")) {
        return Reject(417, "expectation_failed", "only Expect: 100-continue is supported");
      }
      head.expect_continue = true;
    } else if (EqualsIgnoreCase(name, "Connection")) {
      if (ContainsToken(value, "close")) head.wants_close = true;
      if (ContainsToken(value, "keep-alive")) keep_alive = true;
    }
    head.headers.emplace_back(std::string(name), std::string(value));
  }
  if (saw_transfer_encoding) {
    if (saw_content_length) return Malformed("both Content-Length and Transfer-Encoding");
    return Reject(411, "length_required", "chunked request bodies are not accepted");
  }
  if (head.version == "HTTP/1.1" && !saw_host) return Malformed("missing Host header");
  if (head.version == "HTTP/1.0" && !keep_alive) head.wants_close = true;
  return std::optional<RequestHead>(std::move(head));
}

}  // namespace seedwell

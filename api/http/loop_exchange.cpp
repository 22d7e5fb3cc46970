#include "api/http/loop_exchange.h"

#include "api/http/http_text.h"
#include "api/http/json_error.h"

namespace seedwell {
namespace {

bool Replaced(const std::string& name) {
  return EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Content-Length") ||
         EqualsIgnoreCase(name, "Keep-Alive");
}

}  // namespace

std::string_view LoopRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : head.headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

std::string_view LoopRequest::Param(const std::string& name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

LoopRequest BuildLoopRequest(const RequestHead& head, std::string_view body,
                             std::string_view remote_addr, int remote_port) {
  LoopRequest req{head, body, remote_addr, remote_port, {}, {}};
  const std::string_view path = head.Path();
  req.path = path.find('%') == std::string_view::npos
                 ? std::string(path)
                 : httplib::detail::decode_url(std::string(path), false);
  if (path.size() < head.target.size()) {
    httplib::detail::parse_query_text(head.target.substr(path.size() + 1), req.params);
  }
  // A form body adds its fields to the parameters, as cpp-httplib's read_content does.
  if (!body.empty() &&
      req.Header("Content-Type").starts_with("application/x-www-form-urlencoded")) {
    httplib::detail::parse_query_text(std::string(body), req.params);
  }
  return req;
}

void AppendResponse(const httplib::Response& res, const ResponseFraming& framing,
                    std::string& out) {
  // One allocation at most: the status line and framing headers fit in 128 bytes.
  std::size_t size = 128 + framing.keep_alive.size() + res.body.size();
  for (const auto& [name, value] : res.headers) size += name.size() + value.size() + 4;
  out.reserve(out.size() + size);
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += HttpReason(res.status);
  out += "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : res.headers) {
    if (Replaced(name)) continue;
    has_type = has_type || EqualsIgnoreCase(name, "Content-Type");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!has_type && !res.body.empty()) out += "Content-Type: text/plain\r\n";
  if (framing.close) {
    out += "Connection: close\r\n";
  } else {
    if (framing.http10) out += "Connection: keep-alive\r\n";
    out += "Keep-Alive: ";
    out += framing.keep_alive;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(res.body.size());
  out += "\r\n\r\n";
  if (!framing.head_only) out += res.body;
}

}  // namespace seedwell

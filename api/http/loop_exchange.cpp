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

httplib::Request BuildLoopRequest(const RequestHead& head, std::string_view body,
                                  const LoopPeer& peer) {
  httplib::Request req;
  req.method = head.method;
  req.target = head.target;
  req.version = head.version;
  const std::string_view path = head.Path();
  req.path = path.find('%') == std::string_view::npos
                 ? std::string(path)
                 : httplib::detail::decode_url(std::string(path), false);
  if (path.size() < head.target.size()) {
    httplib::detail::parse_query_text(head.target.substr(path.size() + 1), req.params);
  }
  for (const auto& [name, value] : head.headers) {
    if (!RequestHead::IsDropped(name)) req.headers.emplace(name, value);
  }
  req.body.assign(body);
  // A form body adds its fields to the parameters, as cpp-httplib's read_content does.
  if (req.get_header_value("Content-Type").find("application/x-www-form-urlencoded") == 0) {
    httplib::detail::parse_query_text(req.body, req.params);
  }
  req.remote_addr = peer.remote_ip;
  req.remote_port = peer.remote_port;
  req.local_addr = peer.local_ip;
  req.local_port = peer.local_port;
  return req;
}

void AppendResponse(const httplib::Response& res, const ResponseFraming& framing,
                    std::string& out) {
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

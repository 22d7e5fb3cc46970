// GCC 12 under -fsanitize=address reports a false -Wmaybe-uninitialized inside <regex> (a known
// GCC 12 false positive in std::function within the regex NFA). The route table needs std::regex
// to match paths exactly as cpp-httplib's router does, so silence that one warning in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "api/http/route_table.h"

#include <httplib.h>

#include <set>

namespace seedwell {
namespace {

bool MethodTakesBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

RouteTable::Route& RouteTable::RouteFor(const std::string& pattern) {
  for (auto& route : routes_) {
    if (route.pattern == pattern) return route;
  }
  routes_.push_back(Route{pattern, std::regex(pattern), {}, false});
  return routes_.back();
}

void RouteTable::Allow(const std::string& method, const std::string& pattern,
                       std::size_t max_body_bytes) {
  RouteFor(pattern).body_limits[method] = max_body_bytes;
}

void RouteTable::AllowHead(const std::string& pattern) { RouteFor(pattern).head = true; }

std::optional<HttpRefusal> RouteTable::Check(const RequestHead& head) const {
  const std::string path = httplib::detail::decode_url(std::string(head.Path()), false);
  std::set<std::string> allowed;
  const Route* chosen = nullptr;
  const std::string& method = head.method == "HEAD" ? std::string("GET") : head.method;
  for (const auto& route : routes_) {
    if (!std::regex_match(path, route.regex)) continue;
    for (const auto& [m, limit] : route.body_limits) allowed.insert(m);
    if (route.head) allowed.insert("HEAD");
    if (chosen == nullptr && route.body_limits.contains(method)) chosen = &route;
  }
  if (allowed.empty()) return HttpRefusal{HttpError{404, "not_found", "no such resource"}, ""};
  if (chosen == nullptr || (head.method == "HEAD" && !chosen->head)) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    return HttpRefusal{HttpError{405, "method_not_allowed", head.method + " is not allowed here"},
                       allow};
  }
  if (head.content_length > 0 && !MethodTakesBody(head.method)) {
    return HttpRefusal{HttpError{400, "invalid_argument", head.method + " requests carry no body"},
                       ""};
  }
  if (head.content_length > chosen->body_limits.at(method)) {
    return HttpRefusal{HttpError{413, "payload_too_large", "request body is too large"}, ""};
  }
  return std::nullopt;
}

}  // namespace seedwell

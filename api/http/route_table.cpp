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

// IsLiteral reports whether |pattern| matches only itself as a std::regex (no syntax characters).
bool IsLiteral(const std::string& pattern) {
  return pattern.find_first_of("\\^$.|?*+()[]{}") == std::string::npos;
}

}  // namespace

std::size_t RouteTable::IndexOf(const std::string& pattern) {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].pattern == pattern) return i;
  }
  routes_.push_back(Route{pattern, std::regex(pattern), IsLiteral(pattern), {}, false});
  return routes_.size() - 1;
}

void RouteTable::Allow(const std::string& method, const std::string& pattern,
                       std::size_t max_body_bytes) {
  RouteFor(pattern).body_limits[method] = max_body_bytes;
}

void RouteTable::AllowHead(const std::string& pattern) { RouteFor(pattern).head = true; }

bool RouteTable::Matches(const Route& route, const std::string& path) const {
  return route.literal ? path == route.pattern : std::regex_match(path, route.regex);
}

tl::expected<std::size_t, HttpRefusal> RouteTable::Check(const RequestHead& head) const {
  const std::string_view raw = head.Path();
  const std::string path = raw.find('%') == std::string_view::npos
                               ? std::string(raw)
                               : httplib::detail::decode_url(std::string(raw), false);
  const std::string& method = head.method == "HEAD" ? std::string("GET") : head.method;
  // The first route that matches and serves the method takes the request, as in cpp-httplib.
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    if (!route.body_limits.contains(method) || !Matches(route, path)) continue;
    if (head.method == "HEAD" && !route.head) break;
    if (head.content_length > 0 && !MethodTakesBody(head.method)) {
      return tl::unexpected(HttpRefusal{
          HttpError{400, "invalid_argument", head.method + " requests carry no body"}, ""});
    }
    if (head.content_length > route.body_limits.at(method)) {
      return tl::unexpected(
          HttpRefusal{HttpError{413, "payload_too_large", "request body is too large"}, ""});
    }
    return i;
  }
  return tl::unexpected(Refusal(head, path));
}

HttpRefusal RouteTable::Refusal(const RequestHead& head, const std::string& path) const {
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    if (!Matches(route, path)) continue;
    for (const auto& [m, limit] : route.body_limits) allowed.insert(m);
    if (route.head) allowed.insert("HEAD");
  }
  if (allowed.empty()) return HttpRefusal{HttpError{404, "not_found", "no such resource"}, ""};
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  return HttpRefusal{HttpError{405, "method_not_allowed", head.method + " is not allowed here"},
                     allow};
}

}  // namespace seedwell

// RouteTable: the HTTP server's own record of its routes (pattern, the methods served with their
// body limits, whether HEAD may run the GET handler), so that a request is refused from its head
// alone, before a body is read or a worker is busy: 404 when no route matches, 405 with the Allow
// list when the route does not serve the method, 400 for a body on a method that takes none, 413
// for a body over the route's limit.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "api/http/http_connection.h"
#include "api/http/request_head.h"

namespace seedwell {

// RouteTable is filled before the server runs and then only read (Check is thread-safe then).
class RouteTable {
 public:
  // Allow records that |method| is served at |pattern| (a std::regex matched against the whole
  // decoded path) with bodies of at most |max_body_bytes| (0: no body). A malformed pattern
  // throws std::regex_error, as cpp-httplib does when the same pattern is registered there.
  void Allow(const std::string& method, const std::string& pattern, std::size_t max_body_bytes);
  // AllowHead lets HEAD run the GET handler of |pattern|.
  void AllowHead(const std::string& pattern);
  // Check returns the index of the route that takes |head| (registration order, see Pattern),
  // or the refusal to answer.
  tl::expected<std::size_t, HttpRefusal> Check(const RequestHead& head) const;
  // Pattern returns the pattern of route |index| (from Check).
  const std::string& Pattern(std::size_t index) const { return routes_[index].pattern; }
  // IndexOf returns the index of |pattern|, registering it (with no methods yet) if new.
  std::size_t IndexOf(const std::string& pattern);

 private:
  struct Route {
    std::string pattern;
    std::regex regex;
    bool literal = false;  // the pattern has no regex syntax: matched by string comparison
    std::map<std::string, std::size_t> body_limits;  // method -> max body bytes
    bool head = false;
  };
  Route& RouteFor(const std::string& pattern) { return routes_[IndexOf(pattern)]; }
  bool Matches(const Route& route, const std::string& path) const;
  HttpRefusal Refusal(const RequestHead& head, const std::string& path) const;

  std::vector<Route> routes_;  // in registration order: the first match serves
};

}  // namespace seedwell

// Metric label values taken from requests: every one comes from a fixed set, so a peer cannot add
// series (and memory, and scrape size) by inventing values.
//
// Routes need no mapping: HttpServer reports the registered pattern that matched, or "unmatched",
// never the request's path. Methods and statuses are mapped here.
#pragma once

#include <string>
#include <string_view>

namespace seedwell {

// MethodLabel returns |method| if it is one of the methods of RFC 9110 section 9 or PATCH
// (case-sensitive, as methods are), else "other".
std::string MethodLabel(std::string_view method);

// StatusLabel returns |status| in decimal if it is a valid HTTP status (100 to 599), else "other".
std::string StatusLabel(int status);

}  // namespace seedwell

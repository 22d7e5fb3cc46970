// Small text helpers for HTTP fields, shared by the request-head parser and Accept negotiation.
#pragma once

#include <algorithm>
#include <string_view>

namespace seedwell {

// EqualsIgnoreCase compares two ASCII strings case-insensitively (HTTP names and tokens).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [&lower](char x, char y) { return lower(x) == lower(y); });
}

// TrimOws strips optional whitespace (spaces and tabs, RFC 9110 section 5.6.3) from both ends.
inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace seedwell

// Usage transports: the closed set of names under which an instance's issued bytes are counted,
// both per instance in the Store and as the transport label of seedwell_bytes_issued_total. The
// set is fixed in code so that no caller, through a bug or a client's input, can create unbounded
// database rows or metric label values. A new transport adds its name here.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace seedwell {

// kOtherTransport is where the Dispenser counts bytes drawn under a name not in the set.
inline constexpr std::string_view kOtherTransport = "other";

// kUsageTransports lists every name a usage counter may carry.
inline constexpr std::array<std::string_view, 5> kUsageTransports = {"http", "openstack", "pollen",
                                                                     "egd", kOtherTransport};

// IsUsageTransport returns whether |name| is one of kUsageTransports (exact, case-sensitive).
constexpr bool IsUsageTransport(std::string_view name) {
  return std::find(kUsageTransports.begin(), kUsageTransports.end(), name) !=
         kUsageTransports.end();
}

// CanonicalUsageTransport returns the entry of kUsageTransports equal to |name|, or
// kOtherTransport for any other name. It never fails; the view it returns refers to static
// storage and stays valid for the life of the program.
constexpr std::string_view CanonicalUsageTransport(std::string_view name) {
  const auto* found = std::find(kUsageTransports.begin(), kUsageTransports.end(), name);
  return found != kUsageTransports.end() ? *found : kOtherTransport;
}

}  // namespace seedwell

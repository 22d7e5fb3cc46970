// Instance: a virtual machine registered with seedwell, and the validation of its fields.
//
// Error convention for everything that validates an instance (here, instance_json.h, registry.h):
//   - kInvalidArgument: the input is malformed (not JSON, wrong JSON type, unknown or read-only
//     field, missing required field). Routes answer 400.
//   - kFailedPrecondition: the input is well-formed but semantically wrong (bad UUID, bad CIDR,
//     burst smaller than rate, sizes over bounds, bad sealing key). Routes answer 422.
// Every message names the offending field and never contains a secret.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"

namespace seedwell {

// Bounds on instance fields (Nova's own limits where it has them).
inline constexpr std::size_t kMaxTextFieldLength = 255;
inline constexpr std::size_t kMaxMetadataEntries = 128;
inline constexpr std::size_t kMaxMetadataKeyLength = 255;
inline constexpr std::size_t kMaxMetadataValueLength = 255;
inline constexpr std::size_t kMaxAllowedCidrs = 64;
inline constexpr std::uint64_t kMaxBytesPerSecond = 1ULL << 30;
inline constexpr std::uint64_t kMaxBurstBytes = 1ULL << 32;
inline constexpr std::size_t kMaxHostLength = 253;  // a DNS name; Kubernetes node names too

// InstanceState is the life-cycle state: only active instances receive entropy.
enum class InstanceState { kActive, kRevoked };

// InstanceStateName returns "active" or "revoked".
std::string_view InstanceStateName(InstanceState state);

// ParseInstanceState parses "active" or "revoked"; anything else is kInvalidArgument.
Result<InstanceState> ParseInstanceState(std::string_view name);

// RateLimit is a per-instance token bucket: refill rate and bucket size, both in bytes.
struct RateLimit {
  std::uint64_t bytes_per_second = 0;
  std::uint64_t burst_bytes = 0;
  bool operator==(const RateLimit&) const = default;
};

// Instance is the stored model. Times are Unix milliseconds (UTC); zero/unset means "never".
struct Instance {
  std::string id;  // canonical lowercase UUID, chosen by the orchestrator
  std::string project_id;
  std::string name;
  std::string hostname;
  std::string availability_zone;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> allowed_cidrs;         // normalised; empty = any source address
  std::optional<RateLimit> rate_limit;            // unset = the service's defaults
  std::optional<std::string> sealing_public_key;  // base64 (with padding) of an X25519 key
  std::optional<std::string> host;  // the compute node it runs on (Nova OS-EXT-SRV-ATTR:host)
  InstanceState state = InstanceState::kActive;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> last_seen_at_ms;
  std::uint64_t bytes_issued = 0;
  bool operator==(const Instance&) const = default;
};

// SharedInstance is a registered instance as the caches hand it out: read-only and shared, so a
// request holds it without copying its strings, maps and lists.
using SharedInstance = std::shared_ptr<const Instance>;

// InstancePatch holds the fields a PATCH may change; an unset optional leaves the field alone.
// For rate_limit, sealing_public_key and host an inner nullopt clears the field (JSON null).
struct InstancePatch {
  std::optional<std::string> name;
  std::optional<std::string> hostname;
  std::optional<std::string> availability_zone;
  std::optional<std::map<std::string, std::string>> metadata;
  std::optional<std::vector<std::string>> allowed_cidrs;
  std::optional<std::optional<RateLimit>> rate_limit;
  std::optional<std::optional<std::string>> sealing_public_key;
  std::optional<std::optional<std::string>> host;
};

// CanonicalUuid returns |text| as a lowercase 8-4-4-4-12 UUID, or kFailedPrecondition naming
// |field| if it is not one.
Result<std::string> CanonicalUuid(std::string_view text, std::string_view field = "id");

// CheckHost validates a compute node name (an instance's host, or --node): 1 to kMaxHostLength
// bytes of ASCII letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
// kFailedPrecondition naming |field| otherwise.
Result<void> CheckHost(std::string_view host, std::string_view field = "host");

// NormalizeInstance validates every client-settable field of |instance| and returns it with the id
// lowercased and CIDRs normalised; see the error convention at the top of this file.
Result<Instance> NormalizeInstance(Instance instance);

// ApplyPatch returns |instance| with |patch| applied and the result validated; |instance| itself
// is not changed. Timestamps are left to the caller.
Result<Instance> ApplyPatch(const Instance& instance, const InstancePatch& patch);

// ---------------------------------------------------------------------------------------------
// Source addresses (for the guest listener's allowed_cidrs check)

// IpAddress is a parsed IPv4 or IPv6 address; IPv4 uses the first 4 bytes.
struct IpAddress {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const IpAddress&) const = default;
};

// Cidr is a network: an address with its host bits cleared and a prefix length.
struct Cidr {
  IpAddress network;
  int prefix_length = 0;
  bool operator==(const Cidr&) const = default;
};

// ParseIpAddress parses a textual IPv4 or IPv6 address (an IPv4-mapped IPv6 address is returned as
// IPv4); returns kInvalidArgument if it is not one.
Result<IpAddress> ParseIpAddress(std::string_view text);

// ParseCidr parses "addr/len" (or a bare address, meaning a host route); host bits set in the
// address are rejected with kFailedPrecondition, as is any malformed text.
Result<Cidr> ParseCidr(std::string_view text);

// FormatCidr returns the canonical text of |cidr| (inet_ntop form, "/len" always present).
std::string FormatCidr(const Cidr& cidr);

// CidrContains reports whether |address| lies in |cidr|; families never match each other.
bool CidrContains(const Cidr& cidr, const IpAddress& address);

// SourceAllowed reports whether the textual |address| may speak for |instance|: true when the
// instance has no allowed_cidrs, else when some CIDR contains it. Unparseable input is refused.
bool SourceAllowed(const Instance& instance, std::string_view address);

}  // namespace seedwell

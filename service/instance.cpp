#include "service/instance.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>
#include <utility>

namespace seedwell {
namespace {

Result<void> Semantic(std::string_view field, std::string_view what) {
  return Fail(ErrorCode::kFailedPrecondition, std::string(field) + ": " + std::string(what));
}

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

Result<void> CheckText(std::string_view field, std::string_view text, bool required) {
  if (required && text.empty()) return Semantic(field, "must not be empty");
  if (text.size() > kMaxTextFieldLength) return Semantic(field, "longer than 255 bytes");
  if (HasControlCharacter(text)) return Semantic(field, "contains a control character");
  return {};
}

// A hostname is empty or an RFC 1123 name: dot-separated labels of letters, digits and hyphens.
Result<void> CheckHostname(std::string_view hostname) {
  if (hostname.empty()) return {};
  if (hostname.size() > 253) return Semantic("hostname", "longer than 253 characters");
  std::size_t start = 0;
  while (start <= hostname.size()) {
    const std::size_t dot = std::min(hostname.find('.', start), hostname.size());
    const std::string_view label = hostname.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return Semantic("hostname", "is not a valid DNS name");
    }
    for (const char c : label) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
        return Semantic("hostname", "is not a valid DNS name");
      }
    }
    start = dot + 1;
  }
  return {};
}

Result<void> CheckOptionalHost(const std::optional<std::string>& host) {
  if (!host) return {};
  return CheckHost(*host);
}

Result<void> CheckMetadata(const std::map<std::string, std::string>& metadata) {
  if (metadata.size() > kMaxMetadataEntries) return Semantic("metadata", "more than 128 entries");
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxMetadataKeyLength || HasControlCharacter(key)) {
      return Semantic("metadata", "a key is empty, too long or has a control character");
    }
    if (value.size() > kMaxMetadataValueLength || HasControlCharacter(value)) {
      return Semantic("metadata", "value of '" + key + "' is too long or has a control character");
    }
  }
  return {};
}

Result<void> CheckRateLimit(const std::optional<RateLimit>& limit) {
  if (!limit) return {};
  if (limit->bytes_per_second == 0 || limit->bytes_per_second > kMaxBytesPerSecond) {
    return Semantic("rate_limit.bytes_per_second", "must be in 1..2^30");
  }
  if (limit->burst_bytes < limit->bytes_per_second || limit->burst_bytes > kMaxBurstBytes) {
    return Semantic("rate_limit.burst_bytes", "must be at least bytes_per_second and at most 2^32");
  }
  return {};
}

Result<void> CheckSealingKey(const std::optional<std::string>& key) {
  if (!key) return {};
  std::array<unsigned char, crypto_box_PUBLICKEYBYTES + 1> raw{};
  std::size_t raw_len = 0;
  if (sodium_base642bin(raw.data(), raw.size(), key->data(), key->size(), nullptr, &raw_len,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      raw_len != crypto_box_PUBLICKEYBYTES) {
    return Semantic("sealing_public_key", "is not base64 of a 32-byte X25519 public key");
  }
  if (sodium_is_zero(raw.data(), raw_len) != 0) {
    return Semantic("sealing_public_key", "is the all-zero key");
  }
  return {};
}

Result<std::vector<std::string>> NormalizeCidrs(const std::vector<std::string>& cidrs) {
  if (cidrs.size() > kMaxAllowedCidrs) {
    return Fail(ErrorCode::kFailedPrecondition, "allowed_cidrs: more than 64 entries");
  }
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& text : cidrs) {
    auto cidr = ParseCidr(text);
    SEEDWELL_RETURN_IF_ERROR(cidr);
    std::string canonical = FormatCidr(*cidr);
    if (seen.insert(canonical).second) out.push_back(std::move(canonical));
  }
  return out;
}

}  // namespace

std::string_view InstanceStateName(InstanceState state) {
  return state == InstanceState::kRevoked ? "revoked" : "active";
}

Result<InstanceState> ParseInstanceState(std::string_view name) {
  if (name == "active") return InstanceState::kActive;
  if (name == "revoked") return InstanceState::kRevoked;
  return Fail(ErrorCode::kInvalidArgument, "state: must be 'active' or 'revoked'");
}

Result<void> CheckHost(std::string_view host, std::string_view field) {
  if (host.empty()) return Semantic(field, "must not be empty (null clears it)");
  if (host.size() > kMaxHostLength) return Semantic(field, "longer than 253 bytes");
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(host.front()) || !alnum(host.back())) {
    return Semantic(field, "must start and end with a letter or digit");
  }
  for (const char c : host) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') {
      return Semantic(field, "may hold only letters, digits, '-', '_' and '.'");
    }
  }
  return {};
}

Result<std::string> CanonicalUuid(std::string_view text, std::string_view field) {
  static constexpr std::array<std::size_t, 4> kDashes = {8, 13, 18, 23};
  if (text.size() != 36)
    return Fail(ErrorCode::kFailedPrecondition, std::string(field) + ": not a UUID");
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const bool dash = std::find(kDashes.begin(), kDashes.end(), i) != kDashes.end();
    const auto c = static_cast<unsigned char>(out[i]);
    if (dash ? c != '-' : std::isxdigit(c) == 0) {
      return Fail(ErrorCode::kFailedPrecondition, std::string(field) + ": not a UUID");
    }
    out[i] = static_cast<char>(std::tolower(c));
  }
  return out;
}

Result<Instance> NormalizeInstance(Instance instance) {
  auto id = CanonicalUuid(instance.id);
  SEEDWELL_RETURN_IF_ERROR(id);
  instance.id = std::move(*id);
  for (const auto& check :
       {CheckText("project_id", instance.project_id, /*required=*/true),
        CheckText("name", instance.name, false),
        CheckText("availability_zone", instance.availability_zone, false),
        CheckHostname(instance.hostname), CheckMetadata(instance.metadata),
        CheckRateLimit(instance.rate_limit), CheckSealingKey(instance.sealing_public_key),
        CheckOptionalHost(instance.host)}) {
    SEEDWELL_RETURN_IF_ERROR(check);
  }
  auto cidrs = NormalizeCidrs(instance.allowed_cidrs);
  SEEDWELL_RETURN_IF_ERROR(cidrs);
  instance.allowed_cidrs = std::move(*cidrs);
  return instance;
}

Result<Instance> ApplyPatch(const Instance& instance, const InstancePatch& patch) {
  Instance out = instance;
  if (patch.name) out.name = *patch.name;
  if (patch.hostname) out.hostname = *patch.hostname;
  if (patch.availability_zone) out.availability_zone = *patch.availability_zone;
  if (patch.metadata) out.metadata = *patch.metadata;
  if (patch.allowed_cidrs) out.allowed_cidrs = *patch.allowed_cidrs;
  if (patch.rate_limit) out.rate_limit = *patch.rate_limit;
  if (patch.sealing_public_key) out.sealing_public_key = *patch.sealing_public_key;
  if (patch.host) out.host = *patch.host;
  return NormalizeInstance(std::move(out));
}

// ---------------------------------------------------------------------------------------------
// Addresses

Result<IpAddress> ParseIpAddress(std::string_view text) {
  IpAddress address;
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return Fail(ErrorCode::kInvalidArgument, "not an IP address");
  }
  const std::string copy(text);  // inet_pton needs a NUL-terminated string
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) {
    return Fail(ErrorCode::kInvalidArgument, "not an IP address");
  }
  static constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                                 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    return address;
  }
  address.is_v6 = true;
  return address;
}

Result<Cidr> ParseCidr(std::string_view text) {
  const auto bad = [&] {
    return Fail(ErrorCode::kFailedPrecondition,
                "allowed_cidrs: '" + std::string(text.substr(0, 64)) + "' is not a CIDR");
  };
  const std::size_t slash = text.find('/');
  auto address = ParseIpAddress(text.substr(0, slash));
  if (!address) return bad();
  // A v4-mapped v6 text would change meaning with its prefix length; refuse it.
  if (!address->is_v6 && text.substr(0, slash).find(':') != std::string_view::npos) return bad();
  const int max_length = address->is_v6 ? 128 : 32;
  int length = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0'))
      return bad();
    length = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return bad();
      length = length * 10 + (c - '0');
    }
    if (length > max_length) return bad();
  }
  Cidr cidr{*address, length};
  for (int bit = length; bit < max_length; ++bit) {
    if ((address->bytes[bit / 8] >> (7 - bit % 8) & 1) != 0) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "allowed_cidrs: '" + std::string(text) + "' has host bits set");
    }
  }
  return cidr;
}

std::string FormatCidr(const Cidr& cidr) {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  inet_ntop(cidr.network.is_v6 ? AF_INET6 : AF_INET, cidr.network.bytes.data(), buffer.data(),
            buffer.size());
  return std::string(buffer.data()) + "/" + std::to_string(cidr.prefix_length);
}

bool CidrContains(const Cidr& cidr, const IpAddress& address) {
  if (cidr.network.is_v6 != address.is_v6) return false;
  const int full_bytes = cidr.prefix_length / 8;
  if (!std::equal(cidr.network.bytes.begin(), cidr.network.bytes.begin() + full_bytes,
                  address.bytes.begin())) {
    return false;
  }
  const int rest = cidr.prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (cidr.network.bytes[full_bytes] & mask) == (address.bytes[full_bytes] & mask);
}

bool SourceAllowed(const Instance& instance, std::string_view address) {
  if (instance.allowed_cidrs.empty()) return true;
  auto parsed = ParseIpAddress(address);
  if (!parsed) return false;
  return std::any_of(instance.allowed_cidrs.begin(), instance.allowed_cidrs.end(),
                     [&](const std::string& text) {
                       auto cidr = ParseCidr(text);
                       return cidr && CidrContains(*cidr, *parsed);
                     });
}

}  // namespace seedwell

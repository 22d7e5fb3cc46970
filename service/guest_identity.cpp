#include "service/guest_identity.h"

#include <stdexcept>
#include <utility>

namespace seedwell {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// SplitForwardedFor returns every address of every X-Forwarded-For value, left to right.
std::vector<std::string_view> SplitForwardedFor(const std::vector<std::string_view>& values) {
  std::vector<std::string_view> out;
  for (std::string_view v : values) {
    while (!v.empty()) {
      const auto comma = v.find(',');
      out.push_back(Trim(v.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace

std::string_view IdentityModeName(IdentityMode mode) {
  switch (mode) {
    case IdentityMode::kToken:
      return "token";
    case IdentityMode::kProxy:
      return "proxy";
    case IdentityMode::kSourceAddress:
      return "source_address";
    case IdentityMode::kAnonymous:
      return "anonymous";
  }
  return "unknown";
}

GuestIdentifier::GuestIdentifier(GuestIdentityOptions options, Registry& registry,
                                 AddressIndex& addresses)
    : options_(std::move(options)), registry_(registry), addresses_(addresses) {
  if (options_.proxy && options_.proxy_secret.empty()) {
    throw std::invalid_argument("Neutron proxy identity needs a non-empty shared secret");
  }
}

bool GuestIdentifier::Trusted(std::string_view address) const {
  auto ip = ParseIpAddress(address);
  if (!ip) return false;
  for (const Cidr& cidr : options_.trusted_proxies) {
    if (CidrContains(cidr, *ip)) return true;
  }
  return false;
}

Result<std::string> GuestIdentifier::EffectiveSource(const GuestCredentials& c) const {
  if (c.forwarded_for.empty()) return std::string(c.peer_address);
  if (!Trusted(c.peer_address)) {
    if (options_.refuse_untrusted_forwarded_for) {
      return Fail(ErrorCode::kPermissionDenied, "X-Forwarded-For from an untrusted peer");
    }
    return std::string(c.peer_address);  // ignored: identity comes from the socket
  }
  const auto chain = SplitForwardedFor(c.forwarded_for);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!ParseIpAddress(*it)) {
      return Fail(ErrorCode::kInvalidArgument, "malformed X-Forwarded-For address");
    }
    if (!Trusted(*it)) return std::string(*it);
  }
  return chain.empty() ? std::string(c.peer_address) : std::string(chain.front());
}

Result<GuestIdentity> GuestIdentifier::Identify(const GuestCredentials& c) {
  auto source = EffectiveSource(c);
  SEEDWELL_RETURN_IF_ERROR(source);
  if (options_.token && !c.authorization.empty()) return ByToken(c, std::move(*source));
  if (options_.proxy && (!c.instance_id.empty() || !c.tenant_id.empty() || !c.signature.empty())) {
    return ByProxy(c, std::move(*source));
  }
  if (options_.source_address) {
    auto found = addresses_.Find(*source);
    if (found) return GuestIdentity{std::move(*found), IdentityMode::kSourceAddress, *source};
    if (found.error().code == ErrorCode::kUnavailable) return tl::unexpected(found.error());
    if (found.error().code == ErrorCode::kFailedPrecondition) {
      return Fail(ErrorCode::kUnauthenticated, "source address is claimed by several instances");
    }
  }
  if (options_.allow_anonymous) {
    GuestIdentity anonymous;
    anonymous.instance.id = "anonymous:" + *source;
    anonymous.instance.rate_limit = RateLimit{options_.anonymous_limits.bytes_per_second,
                                              options_.anonymous_limits.burst_bytes};
    anonymous.mode = IdentityMode::kAnonymous;
    anonymous.source_address = std::move(*source);
    return anonymous;
  }
  return Fail(ErrorCode::kUnauthenticated, "no instance credentials");
}

Result<GuestIdentity> GuestIdentifier::ByToken(const GuestCredentials& c, std::string source) {
  if (c.authorization.size() > 1) {
    return Fail(ErrorCode::kInvalidArgument, "multiple Authorization headers");
  }
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view header = c.authorization.front();
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) {
    return Fail(ErrorCode::kUnauthenticated, "expected a Bearer instance token");
  }
  auto instance = registry_.Authenticate(header.substr(kBearer.size()));
  SEEDWELL_RETURN_IF_ERROR(instance);
  if (!SourceAllowed(*instance, source)) {
    return Fail(ErrorCode::kPermissionDenied,
                "source address is not among the instance's allowed addresses");
  }
  return GuestIdentity{std::move(*instance), IdentityMode::kToken, std::move(source)};
}

Result<GuestIdentity> GuestIdentifier::ByProxy(const GuestCredentials& c, std::string source) {
  // Nova's metadata handler: each header exactly once, else 400.
  const std::pair<const std::vector<std::string_view>*, const char*> headers[] = {
      {&c.instance_id, "X-Instance-ID"},
      {&c.tenant_id, "X-Tenant-ID"},
      {&c.signature, "X-Instance-ID-Signature"}};
  for (const auto& [values, name] : headers) {
    if (values->empty()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(name) + " header is missing");
    }
    if (values->size() > 1) {
      return Fail(ErrorCode::kInvalidArgument, std::string("multiple ") + name + " headers");
    }
  }
  const std::string_view id = c.instance_id.front();
  if (!VerifyInstanceIdSignature(options_.proxy_secret.span(), id, c.signature.front())) {
    return Fail(ErrorCode::kPermissionDenied, "invalid proxy request signature");
  }
  auto instance = registry_.Get(id);
  if (!instance) {
    if (instance.error().code == ErrorCode::kUnavailable) return tl::unexpected(instance.error());
    return Fail(ErrorCode::kNotFound, "instance not found");
  }
  if (instance->project_id != c.tenant_id.front()) {
    return Fail(ErrorCode::kNotFound, "tenant does not match the instance");
  }
  if (instance->state != InstanceState::kActive) {
    return Fail(ErrorCode::kPermissionDenied, "instance is revoked");
  }
  return GuestIdentity{std::move(*instance), IdentityMode::kProxy, std::move(source)};
}

}  // namespace seedwell

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
  return *Resolve(c, /*memory_only=*/false);
}

std::optional<Result<GuestIdentity>> GuestIdentifier::TryIdentify(const GuestCredentials& c) {
  return Resolve(c, /*memory_only=*/true);
}

std::optional<Result<GuestIdentity>> GuestIdentifier::Resolve(const GuestCredentials& c,
                                                              bool memory_only) {
  using Answer = Result<GuestIdentity>;
  auto source = EffectiveSource(c);
  if (!source) return Answer(tl::unexpected(source.error()));
  if (options_.token && !c.authorization.empty()) {
    return ByToken(c, std::move(*source), memory_only);
  }
  if (options_.proxy && (!c.instance_id.empty() || !c.tenant_id.empty() || !c.signature.empty())) {
    if (memory_only) return std::nullopt;  // the instance comes from the store
    return ByProxy(c, std::move(*source));
  }
  if (options_.source_address) {
    auto found = memory_only ? addresses_.TryFind(*source) : addresses_.Find(*source);
    if (!found) return std::nullopt;
    if (*found) {
      return Answer(GuestIdentity{std::move(**found), IdentityMode::kSourceAddress, *source});
    }
    const Error& error = found->error();
    if (error.code == ErrorCode::kUnavailable) return Answer(tl::unexpected(error));
    if (error.code == ErrorCode::kFailedPrecondition) {
      return Answer(
          Fail(ErrorCode::kUnauthenticated, "source address is claimed by several instances"));
    }
  }
  if (options_.allow_anonymous) {
    GuestIdentity anonymous;
    auto instance = std::make_shared<Instance>();
    instance->id = "anonymous:" + *source;
    instance->rate_limit = RateLimit{options_.anonymous_limits.bytes_per_second,
                                     options_.anonymous_limits.burst_bytes};
    anonymous.instance = std::move(instance);
    anonymous.mode = IdentityMode::kAnonymous;
    anonymous.source_address = std::move(*source);
    return Answer(std::move(anonymous));
  }
  return Answer(Fail(ErrorCode::kUnauthenticated, "no instance credentials"));
}

std::optional<Result<GuestIdentity>> GuestIdentifier::ByToken(const GuestCredentials& c,
                                                              std::string source,
                                                              bool memory_only) {
  using Answer = Result<GuestIdentity>;
  if (c.authorization.size() > 1) {
    return Answer(Fail(ErrorCode::kInvalidArgument, "multiple Authorization headers"));
  }
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view header = c.authorization.front();
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) {
    return Answer(Fail(ErrorCode::kUnauthenticated, "expected a Bearer instance token"));
  }
  const std::string_view token = header.substr(kBearer.size());
  auto authenticated = memory_only
                           ? registry_.AuthenticateCached(token)
                           : std::optional<Result<SharedInstance>>(registry_.Authenticate(token));
  if (!authenticated) return std::nullopt;
  if (!*authenticated) return Answer(tl::unexpected(authenticated->error()));
  SharedInstance instance = std::move(**authenticated);
  if (!SourceAllowed(*instance, source)) {
    return Answer(Fail(ErrorCode::kPermissionDenied,
                       "source address is not among the instance's allowed addresses"));
  }
  return Answer(GuestIdentity{std::move(instance), IdentityMode::kToken, std::move(source)});
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
  return GuestIdentity{std::make_shared<const Instance>(std::move(*instance)), IdentityMode::kProxy,
                       std::move(source)};
}

}  // namespace seedwell

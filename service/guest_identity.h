// GuestIdentity: who is asking on the guest listener, resolved to one registered, active instance
// by the modes the operator enables. HTTP-free: the transport copies what it saw into
// GuestCredentials.
//
// Order, first match decides (a mode that matches and fails does not fall through to the next):
//   1. Instance token: an Authorization header ("Bearer swi_..."). Unknown or malformed: 401;
//      revoked: 403; more than one header: 400.
//   2. Neutron metadata proxy: any of X-Instance-ID, X-Tenant-ID, X-Instance-ID-Signature. Nova's
//      answers: a missing or duplicated header 400, a bad signature 403 (constant-time compare),
//      an unknown instance or a tenant that is not the instance's project 404, revoked 403.
//   3. Source address: the effective source address (below) lies in exactly one active
//      instance's allowed_cidrs (AddressIndex).
//   4. Anonymous, only if allowed: a pseudo-instance "anonymous:<address>" whose rate bucket is
//      per source address with strict limits.
//   Otherwise 401.
// Effective source address: the socket peer, unless the peer is a configured trusted proxy and
// sent X-Forwarded-For; then the right-most address of that list that is not itself a trusted
// proxy. X-Forwarded-For from an untrusted peer is ignored, or refused with 403 when configured.
// Token-identified instances that registered allowed_cidrs must also come from one of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"
#include "service/address_index.h"
#include "service/instance.h"
#include "service/rate_limiter.h"
#include "service/registry.h"

namespace seedwell {

// IdentityMode says how a caller was identified.
enum class IdentityMode { kToken, kProxy, kSourceAddress, kAnonymous };

// IdentityModeName returns "token", "proxy", "source_address" or "anonymous".
std::string_view IdentityModeName(IdentityMode mode);

// GuestIdentityOptions are the operator's choices.
struct GuestIdentityOptions {
  bool token = true;
  bool proxy = false;  // requires a non-empty proxy_secret
  SecretBuffer proxy_secret;
  bool source_address = false;
  std::vector<Cidr> trusted_proxies;
  bool refuse_untrusted_forwarded_for = false;
  bool allow_anonymous = false;
  BucketLimits anonymous_limits{64, 512};
};

// GuestCredentials is what the transport saw: the socket peer and every value of each header
// (in order; more than one value means the header was repeated). Views into the request.
struct GuestCredentials {
  std::string_view peer_address;
  std::vector<std::string_view> authorization;
  std::vector<std::string_view> forwarded_for;
  std::vector<std::string_view> instance_id;
  std::vector<std::string_view> tenant_id;
  std::vector<std::string_view> signature;
};

// GuestIdentity is a resolved caller.
struct GuestIdentity {
  SharedInstance instance;  // never null once identified
  IdentityMode mode = IdentityMode::kToken;
  std::string source_address;  // the effective source address
};

class GuestIdentifier {
 public:
  // GuestIdentifier resolves callers with |registry| and |addresses|, which must outlive it.
  // Throws std::invalid_argument if proxy mode is enabled without a secret (a start-up error).
  GuestIdentifier(GuestIdentityOptions options, Registry& registry, AddressIndex& addresses);

  // Identify resolves |credentials| as described at the top of this file. Errors:
  // kInvalidArgument (400), kUnauthenticated (401), kPermissionDenied (403), kNotFound (404),
  // kUnavailable (the store cannot be read). Messages never contain a token or a signature.
  Result<GuestIdentity> Identify(const GuestCredentials& credentials);
  // TryIdentify is Identify from memory only (the registry's token cache, the address index's
  // current snapshot), for callers that must not block: std::nullopt where only the store could
  // answer (a token not cached, a stale snapshot, every proxy request).
  std::optional<Result<GuestIdentity>> TryIdentify(const GuestCredentials& credentials);

  // EffectiveSource returns the effective source address of |credentials| (see above);
  // kPermissionDenied when an untrusted peer sent X-Forwarded-For and that is refused,
  // kInvalidArgument for a malformed forwarded address.
  Result<std::string> EffectiveSource(const GuestCredentials& credentials) const;

 private:
  bool Trusted(std::string_view address) const;
  // Resolve is Identify; with |memory_only| it returns std::nullopt where the store is needed.
  std::optional<Result<GuestIdentity>> Resolve(const GuestCredentials& c, bool memory_only);
  std::optional<Result<GuestIdentity>> ByToken(const GuestCredentials& c, std::string source,
                                               bool memory_only);
  Result<GuestIdentity> ByProxy(const GuestCredentials& c, std::string source);

  GuestIdentityOptions options_;
  Registry& registry_;
  AddressIndex& addresses_;
};

}  // namespace seedwell

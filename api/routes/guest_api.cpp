#include "api/routes/guest_api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "api/http/http_server.h"
#include "api/http/http_text.h"
#include "api/http/json_error.h"
#include "api/routes/serve_metrics.h"

namespace seedwell {
namespace {

// ReadSecretFile reads a small secret file (trailing whitespace dropped) into wiped memory.
SecretBuffer ReadSecretFile(const std::string& path) {
  const int fd =
      open(path.c_str(), O_RDONLY | O_CLOEXEC);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd < 0) throw std::runtime_error("cannot open the proxy secret file " + path);
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > 4096) {
    close(fd);
    throw std::runtime_error("the proxy secret file " + path +
                             " must be a non-empty file <= 4 KiB");
  }
  SecretBuffer raw(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = read(fd, raw.data() + got, raw.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  while (got > 0 && (raw.data()[got - 1] == '\n' || raw.data()[got - 1] == '\r' ||
                     raw.data()[got - 1] == ' ' || raw.data()[got - 1] == '\t')) {
    --got;
  }
  if (got == 0) throw std::runtime_error("the proxy secret file " + path + " is empty");
  SecretBuffer secret(got);
  std::copy_n(raw.data(), got, secret.data());
  return secret;
}

bool Enabled(const GuestOptions& c, const char* mode) {
  return std::find(c.identity.begin(), c.identity.end(), mode) != c.identity.end();
}

}  // namespace

std::unique_ptr<GuestApi> GuestApi::Create(AppContext& ctx) {
  const GuestOptions& c = ctx.guest_options;
  GuestIdentityOptions o;
  o.token = Enabled(c, "token");
  o.proxy = Enabled(c, "proxy");
  if (o.proxy) o.proxy_secret = ReadSecretFile(c.proxy_secret_file);
  o.source_address = Enabled(c, "source-address");
  for (const auto& text : c.trusted_proxies) {
    auto cidr = ParseCidr(text);
    if (!cidr) throw std::runtime_error("bad --guest-trusted-proxies CIDR " + text);
    o.trusted_proxies.push_back(*cidr);
  }
  o.refuse_untrusted_forwarded_for = c.untrusted_forwarded_for == "refuse";
  o.allow_anonymous = c.allow_anonymous;
  o.anonymous_limits = {c.anonymous_rate_bytes_per_second, c.anonymous_burst_bytes};
  return std::make_unique<GuestApi>(ctx, std::move(o), c.signing == "batch",
                                    static_cast<std::size_t>(c.max_bytes));
}

GuestApi::GuestApi(AppContext& ctx, GuestIdentityOptions identity, bool batch_signing,
                   std::size_t max_bytes)
    : ctx_(ctx),
      identifier_(std::move(identity), ctx.registry, ctx.addresses),
      batcher_(BatchSigner::kDefaultMaxBatch, ctx.serve_metrics.signing()),
      issuer_(ctx.dispenser, ctx.keys, batch_signing ? &batcher_ : nullptr),
      max_bytes_(std::min(max_bytes, kMaxIssueBytes)) {
  UseEventLoops(1);
}

void GuestApi::UseEventLoops(std::size_t loops) {
  while (loop_signers_.size() < loops) {
    loop_signers_.push_back(std::make_unique<LoopBatchSigner>(BatchSigner::kDefaultMaxBatch,
                                                              ctx_.serve_metrics.signing()));
  }
  loop_signers_.resize(std::max<std::size_t>(loops, 1));
}

namespace {

// CredentialsOf collects the identity headers among |headers| (name, value pairs: cpp-httplib's
// map or a loop request's parsed head) in one pass, in order, and the peer's address (cpp-httplib's
// case-insensitive map lookups cost a locale tolower per character compared).
template <typename Headers>
GuestCredentials CredentialsOf(std::string_view peer_address, const Headers& headers) {
  GuestCredentials c;
  c.peer_address = peer_address;
  const std::pair<const char*, std::vector<std::string_view>*> wanted[] = {
      {"Authorization", &c.authorization},
      {"X-Forwarded-For", &c.forwarded_for},
      {"X-Instance-ID", &c.instance_id},
      {"X-Tenant-ID", &c.tenant_id},
      {"X-Instance-ID-Signature", &c.signature}};
  for (const auto& [name, value] : headers) {
    for (const auto& [want, into] : wanted) {
      if (EqualsIgnoreCase(name, want)) into->emplace_back(value);
    }
  }
  return c;
}

// Answer turns a resolved identity into the caller, or writes its refusal to |res|.
std::optional<GuestIdentity> Answer(Result<GuestIdentity> identity, httplib::Response& res) {
  if (!identity) {
    if (identity.error().code == ErrorCode::kUnauthenticated) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"seedwell-guest\"");
    }
    WriteGuestError(res, identity.error());
    return std::nullopt;
  }
  // A registered instance's connection is evicted last when the listener is full.
  if (identity->mode != IdentityMode::kAnonymous) HttpServer::MarkCallerIdentified();
  return std::move(*identity);
}

}  // namespace

std::optional<GuestIdentity> GuestApi::Identify(const httplib::Request& req,
                                                httplib::Response& res) {
  return Answer(identifier_.Identify(CredentialsOf(req.remote_addr, req.headers)), res);
}

GuestApi::LoopIdentity GuestApi::IdentifyOnLoop(const LoopRequest& req, httplib::Response& res,
                                                GuestIdentity& out) {
  auto resolved = identifier_.TryIdentify(CredentialsOf(req.remote_addr, req.head.headers));
  if (!resolved) return LoopIdentity::kNeedsStore;
  auto identity = Answer(std::move(*resolved), res);
  if (!identity) return LoopIdentity::kRefused;
  out = std::move(*identity);
  return LoopIdentity::kIdentified;
}

void WriteGuestError(httplib::Response& res, const Error& error,
                     std::chrono::milliseconds retry_after) {
  if (error.code == ErrorCode::kResourceExhausted) {
    const long long ms = retry_after.count();
    const long long seconds =
        retry_after == std::chrono::milliseconds::max() ? 3600 : std::max(1LL, (ms + 999) / 1000);
    res.set_header("Retry-After", std::to_string(seconds));
    HttpError http = ToHttpError(error);
    http.status = 429;
    return WriteHttpError(res, http);
  }
  WriteError(res, error);
}

}  // namespace seedwell

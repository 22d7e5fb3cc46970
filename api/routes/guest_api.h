// GuestApi: what every guest route shares: the caller's identity (service/guest_identity.h), the
// Issuer with its signature batcher, and guest error responses (JSON, with Retry-After on 429).
// Built once by serve from AppContext and its GuestOptions; routes hold a reference to it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include <httplib.h>

#include "api/http/loop_exchange.h"
#include "api/routes/app_context.h"
#include "api/routes/guest_options.h"
#include "crypto/result.h"
#include "service/batch_signer.h"
#include "service/guest_identity.h"
#include "service/issuer.h"
#include "service/loop_batch_signer.h"

namespace seedwell {

class GuestApi {
 public:
  // Create builds the identity resolver, batcher and Issuer from |ctx.guest_options|; it reads
  // the proxy secret file. Throws std::runtime_error on a start-up error (unreadable or empty
  // secret). |ctx| must outlive the result.
  static std::unique_ptr<GuestApi> Create(AppContext& ctx);

  // GuestApi is Create's work, exposed for tests that inject options.
  GuestApi(AppContext& ctx, GuestIdentityOptions identity, bool batch_signing,
           std::size_t max_bytes);
  GuestApi(const GuestApi&) = delete;
  GuestApi& operator=(const GuestApi&) = delete;

  // Identify resolves the caller of |req|; on failure it writes the error to |res| and returns
  // nothing.
  std::optional<GuestIdentity> Identify(const httplib::Request& req, httplib::Response& res);

  // LoopIdentity is what IdentifyOnLoop found: the caller (in |*out|), a refusal (written to
  // |res|), or that only the store can answer (serve the request on a worker instead).
  enum class LoopIdentity { kIdentified, kRefused, kNeedsStore };
  // IdentifyOnLoop is Identify from memory only, for handlers on the event loop (see
  // GuestIdentifier::TryIdentify).
  LoopIdentity IdentifyOnLoop(const LoopRequest& req, httplib::Response& res, GuestIdentity& out);

  AppContext& ctx() { return ctx_; }
  Issuer& issuer() { return issuer_; }
  // UseEventLoops makes one Merkle batch per event loop of the guest listener (|loops| of them,
  // HttpServer::event_loops); call it before the listener runs. There is one until then.
  void UseEventLoops(std::size_t loops);
  // loop_signer is the Merkle batch of event loop |loop| (LoopRequest::loop), for that loop's
  // thread only; a loop index beyond UseEventLoops' count throws std::out_of_range.
  LoopBatchSigner& loop_signer(std::size_t loop) { return *loop_signers_.at(loop); }
  // max_bytes is the largest block a guest may ask for.
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  AppContext& ctx_;
  GuestIdentifier identifier_;
  BatchSigner batcher_;
  std::vector<std::unique_ptr<LoopBatchSigner>> loop_signers_;  // one per event loop
  Issuer issuer_;
  std::size_t max_bytes_;
};

// WriteGuestError writes |error| as a JSON error with its HTTP status; a rate-limit error gets a
// Retry-After header of |retry_after| rounded up to whole seconds (at least 1).
void WriteGuestError(httplib::Response& res, const Error& error,
                     std::chrono::milliseconds retry_after = std::chrono::milliseconds(0));

}  // namespace seedwell

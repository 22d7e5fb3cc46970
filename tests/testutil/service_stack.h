// ServiceStack: the service layer wired as `seedwell serve` wires it, for test fixtures and
// benchmarks: a seeded EntropyService on the kernel source alone, an SQLite store in a directory
// the caller owns, a Registry and an AddressIndex on a fixed clock (kStackNowMs), a RateLimiter
// and a Dispenser. Fixtures inherit it (protected) and keep its member names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "crypto/clock.h"
#include "crypto/result.h"
#include "service/address_index.h"
#include "service/dispenser.h"
#include "service/entropy_service.h"
#include "service/metrics.h"
#include "service/rate_limiter.h"
#include "service/registry.h"
#include "service/store/sqlite_store.h"

namespace seedwell::testing {

// kStackNowMs is the registry's and address index's "now": 2023-11-14T22:13:20Z.
inline constexpr std::int64_t kStackNowMs = 1'700'000'000'000;

// ServiceStackOptions are what differs between the fixtures.
struct ServiceStackOptions {
  BucketLimits default_limits{1000, 2000};  // for instances without their own rate_limit
  const Clock* limiter_clock = nullptr;     // the rate limiter's clock; null: the steady clock
  Family<Counter>* bytes_issued = nullptr;  // the Dispenser's metric, optional
  std::uint64_t min_charge_bytes = 0;       // the Dispenser's minimum charge per draw
  Family<Counter>* refusals = nullptr;      // the Dispenser's rate-limit refusals, optional
};

class ServiceStack {
 protected:
  // BuildStack creates every part, the store as |dir|/db.sqlite (|dir| must exist and outlive the
  // stack; |options.limiter_clock| and |options.bytes_issued| too). kUnavailable if the entropy
  // service cannot be created or seeded, or the store cannot be opened.
  Result<void> BuildStack(const std::filesystem::path& dir, const ServiceStackOptions& options) {
    EntropyOptions entropy;
    entropy.sources.rdseed = entropy.sources.rdrand = entropy.sources.hwrng = false;
    entropy.policy.allow_kernel_only = true;
    auto created = EntropyService::Create(entropy, SteadyClock::Instance());
    if (!created) return tl::unexpected(created.error());
    entropy_ = std::move(*created);
    if (auto seeded = entropy_->Seed(); !seeded) return tl::unexpected(seeded.error());
    store_ = SqliteStore::Open((dir / "db.sqlite").string());
    if (!store_) return Fail(ErrorCode::kUnavailable, "cannot open the test store");
    const auto now = [] { return kStackNowMs; };
    registry_ = std::make_unique<Registry>(*store_, now);
    addresses_ = std::make_unique<AddressIndex>(*registry_, now);
    const Clock& clock =
        options.limiter_clock != nullptr ? *options.limiter_clock : SteadyClock::Instance();
    limiter_ = std::make_unique<RateLimiter>(clock, BucketLimits{});
    dispenser_ = std::make_unique<Dispenser>(*entropy_, *registry_, *limiter_,
                                             options.default_limits, options.bytes_issued,
                                             options.refusals, options.min_charge_bytes);
    return {};
  }

  // RegisterInstance creates the active instance |id| in project "p" (after BuildStack).
  Result<CreatedInstance> RegisterInstance(const std::string& id) {
    Instance instance;
    instance.id = id;
    instance.project_id = std::string("p");  // not a literal: works around GCC 12 PR105651
    return registry_->Create(std::move(instance));
  }

  std::unique_ptr<EntropyService> entropy_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<AddressIndex> addresses_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Dispenser> dispenser_;
};

}  // namespace seedwell::testing

// EntropyService: the running entropy core of one process. It owns the monitored sources, the
// conditioner that turns them into seeds, the DRBG, and a background thread that reseeds it.
//
// Start-up order: DetectSources -> Conditioner -> Drbg::Seed. A failed first seed is not fatal: the
// DRBG stays failed closed (Ready() false, Generate refuses) and the reseed thread keeps trying, so
// the service recovers by itself when a source does.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "crypto/clock.h"
#include "crypto/conditioner.h"
#include "crypto/drbg.h"
#include "crypto/result.h"

namespace seedwell {

// EntropyOptions configures the sources, the seeding policy and the DRBG.
struct EntropyOptions {
  SourceOptions sources;
  SeedingPolicy policy;
  DrbgOptions drbg;
};

class EntropyService {
 public:
  // Create detects the configured sources and builds the conditioner and the DRBG; it does not
  // seed. kInvalidArgument if the policy names a source that is not configured.
  static Result<std::unique_ptr<EntropyService>> Create(const EntropyOptions& options,
                                                        const Clock& clock);
  ~EntropyService();
  EntropyService(const EntropyService&) = delete;
  EntropyService& operator=(const EntropyService&) = delete;

  // Seed seeds the DRBG for the first time; on failure the DRBG stays failed closed.
  Result<void> Seed();

  // StartReseeding starts the background thread that calls MaybeReseed every |period| (and a
  // full reseed attempt while failed closed), logging every change of readiness.
  void StartReseeding(std::chrono::milliseconds period = std::chrono::seconds(1));

  // Stop joins the reseed thread; idempotent.
  void Stop();

  // Generate fills |out| from the DRBG; kUnavailable while failed closed.
  Result<void> Generate(std::span<std::uint8_t> out) { return drbg_->Generate(out); }

  bool Ready() const { return drbg_->Ready(); }
  DrbgStats Stats() const { return drbg_->Stats(); }
  std::vector<SourceStatus> Sources() const { return conditioner_->Statuses(); }
  // ResetSource is the operator's reset of one source (Conditioner::ResetSource): a disabled
  // source gets a fresh start-up test now. kNotFound for an unknown name.
  Result<SourceStatus> ResetSource(std::string_view name) {
    return conditioner_->ResetSource(name);
  }
  Drbg& drbg() { return *drbg_; }

 private:
  EntropyService(std::unique_ptr<Conditioner> conditioner, const Clock& clock, DrbgOptions drbg);
  void ReseedLoop(std::chrono::milliseconds period);

  std::unique_ptr<Conditioner> conditioner_;
  std::unique_ptr<Drbg> drbg_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace seedwell

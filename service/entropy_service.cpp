#include "service/entropy_service.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace seedwell {

Result<std::unique_ptr<EntropyService>> EntropyService::Create(const EntropyOptions& options,
                                                               const Clock& clock) {
  auto sources = DetectSources(options.sources, clock);
  auto conditioner = Conditioner::Create(std::move(sources), clock, options.policy);
  SEEDWELL_RETURN_IF_ERROR(conditioner);
  return std::unique_ptr<EntropyService>(
      new EntropyService(std::move(*conditioner), clock, options.drbg));
}

EntropyService::EntropyService(std::unique_ptr<Conditioner> conditioner, const Clock& clock,
                               DrbgOptions drbg)
    : conditioner_(std::move(conditioner)),
      drbg_(std::make_unique<Drbg>(*conditioner_, clock, drbg)) {}

EntropyService::~EntropyService() { Stop(); }

Result<void> EntropyService::Seed() {
  auto seeded = drbg_->Seed();
  if (!seeded) {
    spdlog::error("event=drbg_seed_failed reason=\"{}\" state=failed_closed",
                  seeded.error().message);
  }
  return seeded;
}

void EntropyService::StartReseeding(std::chrono::milliseconds period) {
  thread_ = std::thread([this, period] { ReseedLoop(period); });
}

void EntropyService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EntropyService::ReseedLoop(std::chrono::milliseconds period) {
  bool was_ready = drbg_->Ready();
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    // While failed closed, try a full reseed every period so output resumes as soon as a source
    // recovers; otherwise reseed only when the interval or the byte budget says so.
    auto result = drbg_->Ready() ? drbg_->MaybeReseed() : drbg_->Reseed();
    const bool ready = drbg_->Ready();
    if (ready != was_ready) {
      if (ready) {
        spdlog::info("event=drbg_ready generation={}", drbg_->Stats().generation);
      } else {
        spdlog::error("event=drbg_failed_closed reason=\"{}\"",
                      result ? "reseed overdue" : result.error().message);
      }
      was_ready = ready;
    }
    lock.lock();
  }
}

}  // namespace seedwell

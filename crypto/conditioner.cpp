#include "crypto/conditioner.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <utility>

#include "crypto/cpu_rng_source.h"
#include "crypto/kernel_source.h"

namespace seedwell {
namespace {

constexpr double kSeedEntropyBits = 256.0;

// HashState wipes the BLAKE2b state on every path out of GatherSeed.
class HashState {
 public:
  HashState() { crypto_generichash_init(&state_, nullptr, 0, kSeedBytes); }
  ~HashState() { sodium_memzero(&state_, sizeof(state_)); }
  HashState(const HashState&) = delete;
  HashState& operator=(const HashState&) = delete;

  void Update(std::span<const std::uint8_t> bytes) {
    crypto_generichash_update(&state_, bytes.data(), bytes.size());
  }
  void Update(std::string_view text) {
    Update(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  void UpdateU32(std::uint32_t v) {
    std::array<std::uint8_t, 4> le{};
    for (std::size_t i = 0; i < le.size(); ++i) le[i] = static_cast<std::uint8_t>(v >> (8 * i));
    Update(le);
  }
  void UpdateU64(std::uint64_t v) {
    std::array<std::uint8_t, 8> le{};
    for (std::size_t i = 0; i < le.size(); ++i) le[i] = static_cast<std::uint8_t>(v >> (8 * i));
    Update(le);
  }
  // UpdateLabel hashes a length-prefixed string so that field boundaries are unambiguous.
  void UpdateLabel(std::string_view text) {
    UpdateU32(static_cast<std::uint32_t>(text.size()));
    Update(text);
  }
  void Final(std::span<std::uint8_t, kSeedBytes> out) {
    crypto_generichash_final(&state_, out.data(), out.size());
  }

 private:
  crypto_generichash_state state_{};
};

}  // namespace

std::size_t Conditioner::DrawBytes(double h) {
  const auto bytes = static_cast<std::size_t>(std::ceil(kSeedEntropyBits / h));
  return std::min(bytes, kMaxDrawBytes);
}

Result<std::unique_ptr<Conditioner>> Conditioner::Create(
    std::vector<std::unique_ptr<MonitoredSource>> sources, const Clock& clock,
    SeedingPolicy policy) {
  if (sources.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "no entropy source is available (none of those configured exists here)");
  }
  std::set<std::string_view> names;
  for (const auto& source : sources) {
    if (source == nullptr) return Fail(ErrorCode::kInvalidArgument, "conditioner: null source");
    if (!names.insert(source->Name()).second) {
      return Fail(ErrorCode::kInvalidArgument,
                  "conditioner: two sources named " + std::string(source->Name()));
    }
  }
  for (const std::string& required : policy.required_sources) {
    if (!names.contains(required)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "required source " + required + " is not configured or does not exist here");
    }
  }
  std::vector<SourceKind> kinds;
  kinds.reserve(sources.size());
  for (const auto& source : sources) kinds.push_back(source->Kind());
  SEEDWELL_RETURN_IF_ERROR(CheckPolicyReachable(kinds, policy));
  return std::unique_ptr<Conditioner>(
      new Conditioner(std::move(sources), clock, std::move(policy)));
}

Conditioner::Conditioner(std::vector<std::unique_ptr<MonitoredSource>> sources, const Clock& clock,
                         SeedingPolicy policy)
    : sources_(std::move(sources)),
      clock_(clock),
      policy_(std::move(policy)),
      scratch_(kMaxDrawBytes) {
  EnsureSodium();
}

Result<void> Conditioner::GatherSeed(std::span<std::uint8_t, kSeedBytes> seed) {
  const std::lock_guard<std::mutex> lock(mu_);
  HashState hash;
  hash.UpdateLabel(kLabel);
  hash.UpdateU64(counter_++);
  hash.UpdateU64(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
          .count()));

  bool hardware_ok = false;
  bool required_ok = policy_.required_sources.empty();
  std::uint32_t contributors = 0;
  std::string skipped;
  for (const auto& source : sources_) {
    const std::size_t n = DrawBytes(source->MinEntropyPerByte());
    const std::span<std::uint8_t> draw = scratch_.span().first(n);
    if (auto read = source->Read(draw); !read) {
      // MonitoredSource has wiped |draw| and logged the failure; this source sits this one out.
      skipped += (skipped.empty() ? "" : "; ") + read.error().message;
      continue;
    }
    hash.UpdateLabel(source->Name());
    hash.UpdateU32(static_cast<std::uint32_t>(n));
    hash.Update(draw);
    sodium_memzero(draw.data(), draw.size());  // the raw bytes are in the hash state now
    ++contributors;

    const SourceKind kind = source->Kind();
    if (kind == SourceKind::kHardware ||
        (policy_.allow_kernel_only && kind == SourceKind::kKernel) ||
        (policy_.allow_upstream_only && kind == SourceKind::kUpstream)) {
      hardware_ok = true;
    }
    if (!required_ok) {
      required_ok = std::find(policy_.required_sources.begin(), policy_.required_sources.end(),
                              source->Name()) != policy_.required_sources.end();
    }
  }
  hash.UpdateU32(contributors);

  if (!hardware_ok || !required_ok) {
    sodium_memzero(seed.data(), seed.size());
    std::string why = !hardware_ok
                          ? (policy_.allow_kernel_only ? "no healthy hardware or kernel source"
                                                       : "no healthy hardware source")
                          : "no healthy required source";
    if (!skipped.empty()) why += " (" + skipped + ")";
    spdlog::warn("conditioner refused a seed: {}", why);
    return Fail(ErrorCode::kUnavailable, "seeding policy not met: " + why);
  }
  hash.Final(seed);
  return {};
}

std::vector<SourceStatus> Conditioner::Statuses() const {
  std::vector<SourceStatus> out;
  out.reserve(sources_.size());
  for (const auto& source : sources_) out.push_back(source->Status());
  return out;
}

Result<SourceStatus> Conditioner::ResetSource(std::string_view name) {
  for (const auto& source : sources_) {
    if (source->Name() != name) continue;
    (void)source->Reset();  // the outcome is in the status (state, last_failure)
    return source->Status();
  }
  return Fail(ErrorCode::kNotFound, "no entropy source named " + std::string(name));
}

Result<void> CheckPolicyReachable(std::span<const SourceKind> kinds, const SeedingPolicy& policy) {
  bool kernel = false;
  bool upstream = false;
  for (const SourceKind kind : kinds) {
    if (kind == SourceKind::kHardware) return {};
    if (kind == SourceKind::kKernel) {
      if (policy.allow_kernel_only) return {};
      kernel = true;
    }
    if (kind == SourceKind::kUpstream) {
      if (policy.allow_upstream_only) return {};
      upstream = true;
    }
  }
  std::string why =
      "the seeding policy can never be met: none of the sources is hardware (rdseed, rdrand, "
      "hwrng)";
  if (kernel) why += "; the kernel alone counts only with --allow-kernel-only";
  if (upstream) why += "; an upstream EGD source alone counts only with --allow-upstream-only";
  return Fail(ErrorCode::kInvalidArgument, why);
}

// ---------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------

namespace {

void AddSource(std::vector<std::unique_ptr<MonitoredSource>>& out,
               Result<std::unique_ptr<EntropySource>> created, std::string_view name,
               const SourceOptions& options, const Clock& clock) {
  if (!created) {
    spdlog::info("entropy source {} not used: {}", name, created.error().message);
    return;
  }
  auto monitored = std::make_unique<MonitoredSource>(std::move(*created), clock, options.backoff);
  if (auto started = monitored->Start(); started) {
    spdlog::info("entropy source {} ({}, H = {} bits/byte) is healthy", name,
                 SourceKindName(monitored->Kind()), monitored->MinEntropyPerByte());
  }  // A failure was logged by MonitoredSource; the source stays and is retried after back-off.
  out.push_back(std::move(monitored));
}

template <typename T>
Result<std::unique_ptr<EntropySource>> Upcast(Result<std::unique_ptr<T>> r) {
  SEEDWELL_RETURN_IF_ERROR(r);
  return std::unique_ptr<EntropySource>(std::move(*r));
}

}  // namespace

std::vector<std::unique_ptr<MonitoredSource>> DetectSources(const SourceOptions& options,
                                                            const Clock& clock) {
  std::vector<std::unique_ptr<MonitoredSource>> sources;
  if (options.rdseed) {
    AddSource(sources, Upcast(CpuRngSource::Create(CpuRngInstruction::kRdseed)), "rdseed", options,
              clock);
  }
  if (options.rdrand) {
    AddSource(sources, Upcast(CpuRngSource::Create(CpuRngInstruction::kRdrand)), "rdrand", options,
              clock);
  }
  if (options.hwrng) {
    AddSource(sources, Upcast(HwrngSource::Open(options.hwrng_path, options.hwrng_timeout)),
              "hwrng", options, clock);
  }
  if (options.kernel) {
    AddSource(sources, std::unique_ptr<EntropySource>(std::make_unique<KernelSource>()), "kernel",
              options, clock);
  }
  if (!options.upstream_egd.empty()) {
    AddSource(sources,
              Upcast(EgdSource::Create(options.upstream_egd, options.upstream_egd_timeout,
                                       options.upstream_egd_min_entropy)),
              "upstream-egd", options, clock);
  }
  std::string names;
  for (const auto& s : sources) names += (names.empty() ? "" : ", ") + std::string(s->Name());
  spdlog::info("entropy sources: {}", names.empty() ? "none" : names);
  return sources;
}

}  // namespace seedwell

#include "crypto/cpu_rng_source.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace seedwell {
namespace {

#if defined(__x86_64__)

constexpr unsigned kRdrandEcxBit = 1U << 30;  // CPUID.01H:ECX.RDRAND[bit 30]
constexpr unsigned kRdseedEbxBit = 1U << 18;  // CPUID.(EAX=07H,ECX=0):EBX.RDSEED[bit 18]

__attribute__((target("rdrnd"))) bool RdrandStep(std::uint64_t* out) {
  unsigned long long value = 0;
  const bool ok = _rdrand64_step(&value) != 0;
  *out = value;
  return ok;
}

__attribute__((target("rdseed"))) bool RdseedStep(std::uint64_t* out) {
  unsigned long long value = 0;
  const bool ok = _rdseed64_step(&value) != 0;
  *out = value;
  return ok;
}

void Pause() { _mm_pause(); }

#else

bool RdrandStep(std::uint64_t* /*out*/) { return false; }
bool RdseedStep(std::uint64_t* /*out*/) { return false; }
void Pause() {}

#endif

}  // namespace

bool CpuHasRdrand() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & kRdrandEcxBit) != 0;
#else
  return false;
#endif
}

bool CpuHasRdseed() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ebx & kRdseedEbxBit) != 0;
#else
  return false;
#endif
}

Result<std::unique_ptr<CpuRngSource>> CpuRngSource::Create(CpuRngInstruction instruction) {
  if (instruction == CpuRngInstruction::kRdseed) {
    if (!CpuHasRdseed()) return Fail(ErrorCode::kUnavailable, "rdseed not available on this CPU");
    return std::make_unique<CpuRngSource>(instruction, &RdseedStep, kRdseedRetries);
  }
  if (!CpuHasRdrand()) return Fail(ErrorCode::kUnavailable, "rdrand not available on this CPU");
  return std::make_unique<CpuRngSource>(instruction, &RdrandStep, kRdrandRetries);
}

CpuRngSource::CpuRngSource(CpuRngInstruction instruction, CpuRngStep step, int max_attempts)
    : instruction_(instruction), step_(step), max_attempts_(std::max(max_attempts, 1)) {}

std::string_view CpuRngSource::Name() const {
  return instruction_ == CpuRngInstruction::kRdseed ? "rdseed" : "rdrand";
}

double CpuRngSource::MinEntropyPerByte() const {
  // See the top of cpu_rng_source.h for why.
  return instruction_ == CpuRngInstruction::kRdseed ? 4.0 : 2.0;
}

Result<void> CpuRngSource::Read(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    std::uint64_t word = 0;
    bool ok = false;
    for (int attempt = 0; attempt < max_attempts_ && !ok; ++attempt) {
      if (attempt > 0) Pause();
      ok = step_(&word);
    }
    if (!ok) {
      sodium_memzero(out.data(), out.size());
      return Fail(ErrorCode::kUnavailable, std::string(Name()) + " returned no data after " +
                                               std::to_string(max_attempts_) + " attempts");
    }
    const std::size_t n = std::min(sizeof(word), out.size() - done);
    std::memcpy(out.data() + done, &word, n);
    sodium_memzero(&word, sizeof(word));
    done += n;
  }
  return {};
}

}  // namespace seedwell

// CpuRngSource: the x86 RDSEED and RDRAND instructions as entropy sources.
//
// Theory of operation. CPUID says whether the CPU has the instructions (leaf 1 ECX bit 30 for
// RDRAND, leaf 7 EBX bit 18 for RDSEED); Create() refuses cleanly when it has not, so detection
// never executes an illegal instruction. Each 64-bit step may report "no data" (carry clear):
// RDSEED does so whenever the conditioner has no fresh entropy (under contention, often), so we
// retry with _mm_pause up to kRdseedRetries times; RDRAND should fail only if the hardware is
// broken, so Intel's guide (DRNG Software Implementation Guide, 5.2.1) suggests 10 retries. A step
// that still fails makes the read fail with kUnavailable. Some CPUs return all ones from a broken
// RDRAND after resume (AMD family 15h/16h); the health tests' RCT catches that.
//
// Min-entropy. Both are conditioned outputs of the vendor's hardware generator, which we cannot
// audit, and under a hypervisor the instructions may be trapped or emulated. We credit
//  - RDSEED (an SP 800-90B/C entropy source output, claimed full entropy) with H = 4 bits per byte,
//    half its claim: the Conditioner then draws 64 bytes per 256-bit seed;
//  - RDRAND (the output of a CTR_DRBG reseeded at most every 511 128-bit outputs, so its output is
//    not fresh entropy byte for byte) with H = 2 bits per byte: 128 bytes per seed.
// Lower credit only makes the health tests' cutoffs looser (RCT 9 / APT 71 and RCT 16 / APT 190)
// and the draws larger; neither source is ever the only input if the kernel is also configured.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "crypto/entropy_source.h"

namespace seedwell {

// CpuRngInstruction picks the instruction.
enum class CpuRngInstruction { kRdseed, kRdrand };

// CpuHasRdrand returns whether CPUID reports RDRAND (false on non-x86-64 builds).
bool CpuHasRdrand();

// CpuHasRdseed returns whether CPUID reports RDSEED (false on non-x86-64 builds).
bool CpuHasRdseed();

// CpuRngStep is one 64-bit step of an instruction: it returns true and sets |*out| on success.
using CpuRngStep = bool (*)(std::uint64_t* out);

class CpuRngSource final : public EntropySource {
 public:
  // kRdseedRetries and kRdrandRetries bound the attempts at each 64-bit step.
  static constexpr int kRdseedRetries = 1024;
  static constexpr int kRdrandRetries = 10;

  // Create returns a source for |instruction|, or kUnavailable ("... not available on this CPU")
  // when CPUID does not report it.
  static Result<std::unique_ptr<CpuRngSource>> Create(CpuRngInstruction instruction);

  // CpuRngSource uses |step| with at most |max_attempts| attempts per 64 bits. For tests; use
  // Create() otherwise, which checks CPUID first.
  CpuRngSource(CpuRngInstruction instruction, CpuRngStep step, int max_attempts);

  std::string_view Name() const override;
  SourceKind Kind() const override { return SourceKind::kHardware; }
  double MinEntropyPerByte() const override;

  // Read fills |out| 8 bytes at a time. It returns kUnavailable if a step still fails after the
  // bounded retries; |out| is then wiped.
  Result<void> Read(std::span<std::uint8_t> out) override;

 private:
  CpuRngInstruction instruction_;
  CpuRngStep step_;
  int max_attempts_;
};

}  // namespace seedwell

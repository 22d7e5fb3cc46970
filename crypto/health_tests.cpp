#include "crypto/health_tests.h"

#include <sodium.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "crypto/secret_buffer.h"

namespace seedwell {
namespace {

void CheckParameters(double h, double alpha) {
  if (!(h > 0.0 && h <= 8.0) || !(alpha > 0.0 && alpha < 1.0)) {
    throw std::invalid_argument("health tests: need 0 < H <= 8 and 0 < alpha < 1");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cutoffs
// ---------------------------------------------------------------------------------------------

int RepetitionCountCutoff(double h, double alpha) {
  CheckParameters(h, alpha);
  // The small slack keeps an exact quotient such as 30 / 0.5 from rounding up past an integer.
  const long double quotient = -std::log2(static_cast<long double>(alpha)) / h;
  return 1 + static_cast<int>(std::ceil(quotient - 1e-12L));
}

int AdaptiveProportionCutoff(double h, double alpha, std::size_t window) {
  CheckParameters(h, alpha);
  if (window == 0) throw std::invalid_argument("health tests: APT window must be positive");
  // CRITBINOM(W, p, 1 - alpha) is the smallest k with P[X > k] <= alpha for X ~ Binomial(W, p).
  // Walk k down from W, adding pmf(k + 1) to the upper tail, until the tail exceeds alpha. The
  // pmf is carried in log space from log pmf(W) = W log p via
  //   pmf(j - 1) = pmf(j) * j / (W - j + 1) * (1 - p) / p,
  // all in long double: the terms are as small as 2^-4096 and the sum is never cancelled.
  const long double p = std::exp2(-static_cast<long double>(h));
  const long double log_p = std::log(p);
  const long double log_q = std::log1p(-p);
  const auto w = static_cast<long double>(window);
  const long double target = alpha;

  long double log_pmf = w * log_p;  // log pmf(j) for j = k + 1, starting at j = W
  long double tail = 0.0L;          // P[X > k]
  for (std::size_t k = window; k-- > 0;) {
    const auto j = static_cast<long double>(k + 1);
    tail += std::exp(log_pmf);
    if (tail > target) return 1 + static_cast<int>(k + 1);
    log_pmf += std::log(j) - std::log(w - j + 1.0L) + log_q - log_p;  // now log pmf(k)
  }
  return 1;  // P[X > 0] <= alpha: any repeat at all is suspicious
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

RepetitionCountTest::RepetitionCountTest(int cutoff) : cutoff_(cutoff) {
  if (cutoff < 2) throw std::invalid_argument("RCT cutoff must be at least 2");
}

RepetitionCountTest::~RepetitionCountTest() { Reset(); }

bool RepetitionCountTest::Feed(std::uint8_t sample) {
  if (run_ > 0 && sample == last_) {
    ++run_;
  } else {
    last_ = sample;
    run_ = 1;
  }
  return run_ < cutoff_;
}

void RepetitionCountTest::Reset() {
  sodium_memzero(&last_, sizeof(last_));
  run_ = 0;
}

AdaptiveProportionTest::AdaptiveProportionTest(int cutoff, std::size_t window)
    : cutoff_(cutoff), window_(window) {
  if (cutoff < 2 || window < 2) throw std::invalid_argument("APT needs cutoff, window >= 2");
}

AdaptiveProportionTest::~AdaptiveProportionTest() { Reset(); }

bool AdaptiveProportionTest::Feed(std::uint8_t sample) {
  if (seen_ == 0) {
    reference_ = sample;
    count_ = 1;
    seen_ = 1;
    return true;
  }
  if (sample == reference_) ++count_;
  const bool ok = count_ < cutoff_;
  if (++seen_ == window_) seen_ = 0;  // the next sample opens a new window
  return ok;
}

void AdaptiveProportionTest::Reset() {
  sodium_memzero(&reference_, sizeof(reference_));
  seen_ = 0;
  count_ = 0;
}

std::string_view HealthTestKindName(HealthTestKind kind) {
  switch (kind) {
    case HealthTestKind::kNone:
      return "none";
    case HealthTestKind::kRct:
      return "rct";
    case HealthTestKind::kApt:
      return "apt";
    case HealthTestKind::kStartup:
      return "startup";
  }
  return "unknown";
}

namespace {

double CheckedPermanentAlpha(double alpha, double permanent_alpha) {
  if (!(permanent_alpha > 0.0 && permanent_alpha <= alpha)) {
    throw std::invalid_argument("health tests: need 0 < permanent alpha <= alpha");
  }
  return permanent_alpha;
}

}  // namespace

HealthTests::HealthTests(double h, double alpha, double permanent_alpha)
    : rct_(RepetitionCountCutoff(h, alpha)),
      apt_(AdaptiveProportionCutoff(h, alpha, kAptWindowNonBinary), kAptWindowNonBinary),
      rct_permanent_(RepetitionCountCutoff(h, CheckedPermanentAlpha(alpha, permanent_alpha))),
      apt_permanent_(AdaptiveProportionCutoff(h, permanent_alpha, kAptWindowNonBinary),
                     kAptWindowNonBinary) {}

HealthVerdict HealthTests::Feed(std::span<const std::uint8_t> samples) {
  HealthVerdict verdict;
  std::size_t i = 0;
  for (; i < samples.size() && verdict.ok(); ++i) {
    // Feed every test every sample so that their state stays in step.
    const bool rct_ok = rct_.Feed(samples[i]);
    const bool apt_ok = apt_.Feed(samples[i]);
    const bool rct_permanent_ok = rct_permanent_.Feed(samples[i]);
    const bool apt_permanent_ok = apt_permanent_.Feed(samples[i]);
    verdict.permanent = !rct_permanent_ok || !apt_permanent_ok;
    if (!rct_ok) {
      verdict.failed = HealthTestKind::kRct;
    } else if (!apt_ok) {
      verdict.failed = HealthTestKind::kApt;
    }
  }
  if (verdict.ok()) return verdict;
  // The rest of these samples will be discarded; they still tell whether the failure is
  // permanent (a stuck source keeps repeating past the stricter cutoff).
  for (; i < samples.size() && !verdict.permanent; ++i) {
    const bool rct_permanent_ok = rct_permanent_.Feed(samples[i]);
    const bool apt_permanent_ok = apt_permanent_.Feed(samples[i]);
    verdict.permanent = !rct_permanent_ok || !apt_permanent_ok;
  }
  const std::string level = verdict.permanent ? "permanent" : "intermittent";
  if (verdict.failed == HealthTestKind::kRct) {
    const int cutoff = verdict.permanent ? rct_permanent_.cutoff() : rct_.cutoff();
    verdict.message =
        "repetition count test failed (" + level + " cutoff " + std::to_string(cutoff) + ")";
  } else {
    const int cutoff = verdict.permanent ? apt_permanent_.cutoff() : apt_.cutoff();
    verdict.message = "adaptive proportion test failed (" + level + " cutoff " +
                      std::to_string(cutoff) + " in " + std::to_string(apt_.window()) + ")";
  }
  return verdict;
}

void HealthTests::Reset() {
  rct_.Reset();
  apt_.Reset();
  rct_permanent_.Reset();
  apt_permanent_.Reset();
}

// ---------------------------------------------------------------------------------------------
// Power-on self-check
// ---------------------------------------------------------------------------------------------

namespace {

constexpr std::size_t kSelfCheckBytes = 4096;

// FixedKeystream fills |out| with the ChaCha20 keystream under key BLAKE2b-256("seedwell health
// self-check") and an all-zero nonce: a fixed, public, statistically good pattern.
void FixedKeystream(std::span<std::uint8_t> out) {
  EnsureSodium();
  static constexpr char kLabel[] = "seedwell health self-check";
  std::array<std::uint8_t, crypto_stream_chacha20_KEYBYTES> key{};
  std::array<std::uint8_t, crypto_stream_chacha20_NONCEBYTES> nonce{};
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(kLabel),
                     sizeof(kLabel) - 1, nullptr, 0);
  crypto_stream_chacha20(out.data(), out.size(), nonce.data(), key.data());
}

template <typename Test>
bool Passes(Test& test, std::span<const std::uint8_t> samples) {
  for (const std::uint8_t s : samples) {
    if (!test.Feed(s)) return false;
  }
  return true;
}

}  // namespace

Result<void> HealthTestSelfCheck() {
  constexpr double kH = 8.0;  // the tightest cutoffs (5 / 16): the hardest case for good data
  std::array<std::uint8_t, kSelfCheckBytes> good{};
  FixedKeystream(good);

  HealthTests both(kH);
  if (auto r = both.Feed(good); !r) {
    return Fail(ErrorCode::kInternal, "health self-check: good sequence rejected: " + r.message);
  }

  std::array<std::uint8_t, kSelfCheckBytes> stuck{};
  stuck.fill(0x5A);
  RepetitionCountTest rct(RepetitionCountCutoff(kH, kIntermittentAlpha));
  if (Passes(rct, stuck)) {
    return Fail(ErrorCode::kInternal, "health self-check: stuck sequence not detected by RCT");
  }
  HealthTests stuck_tests(kH);
  if (const HealthVerdict v = stuck_tests.Feed(stuck);
      v.failed != HealthTestKind::kRct || !v.permanent) {
    return Fail(ErrorCode::kInternal,
                "health self-check: stuck sequence not a permanent RCT failure");
  }

  // Every fourth byte is zero, the rest good: no long runs, but zero has probability > 1/4.
  std::array<std::uint8_t, kSelfCheckBytes> biased = good;
  for (std::size_t i = 0; i < biased.size(); i += 4) biased[i] = 0;
  RepetitionCountTest rct_biased(RepetitionCountCutoff(kH, kIntermittentAlpha));
  AdaptiveProportionTest apt(AdaptiveProportionCutoff(kH, kIntermittentAlpha, kAptWindowNonBinary),
                             kAptWindowNonBinary);
  if (!Passes(rct_biased, biased)) {
    return Fail(ErrorCode::kInternal, "health self-check: biased sequence tripped RCT, not APT");
  }
  if (Passes(apt, biased)) {
    return Fail(ErrorCode::kInternal, "health self-check: biased sequence not detected by APT");
  }
  return {};
}

}  // namespace seedwell

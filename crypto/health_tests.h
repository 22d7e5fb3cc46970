// Continuous health tests for raw entropy sources (NIST SP 800-90B, sections 4.4.1 and 4.4.2).
//
// Theory of operation. Every raw byte a source delivers is one 8-bit sample and goes through two
// tests whose cutoffs follow from the source's assessed min-entropy H (bits per sample) and a
// false-positive probability alpha:
//
//  - Repetition Count Test (RCT, 4.4.1): fails when one value repeats C times in a row, with
//      C = 1 + ceil(-log2(alpha) / H).
//    A truly H-bit source repeats a value C times with probability at most 2^(-H (C-1)) <= alpha.
//  - Adaptive Proportion Test (APT, 4.4.2): takes the first sample A of each window of W samples
//    (W = 512 for non-binary samples, 1024 for binary) and fails when A occurs C or more times in
//    the window (A itself included), with
//      C = 1 + CRITBINOM(W, 2^-H, 1 - alpha),
//    CRITBINOM(n, p, q) being the smallest k with P[Binomial(n, p) <= k] >= q. We compute the exact
//    binomial upper tail in log space with long double (lgammal), summing from the top down so that
//    no cancellation occurs, rather than reading a table.
//
// Alpha. We use alpha = 2^-30 (kIntermittentAlpha), the intermittent-alarm level used by
// jitterentropy and listed in specs/randomness.md: a failure quarantines the source, which is then
// retried with back-off, so a rare false alarm costs a retry, never output. With 1024-sample
// start-up tests and continuous testing, a healthy source sees a false alarm about once per 2^30
// windows.
//
// Samples are secret: the tests keep only the current RCT value and the APT reference value, both
// in memory that is wiped by Reset() and on destruction, and never put them in error messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/result.h"

namespace seedwell {

// kIntermittentAlpha is the false-positive probability of one test for the intermittent alarm.
inline constexpr double kIntermittentAlpha = 0x1p-30;

// kAptWindowNonBinary and kAptWindowBinary are the APT window sizes of SP 800-90B 4.4.2.
inline constexpr std::size_t kAptWindowNonBinary = 512;
inline constexpr std::size_t kAptWindowBinary = 1024;

// kStartupSamples is the number of samples tested, and discarded, before a source is first used
// (SP 800-90B 4.3 asks for at least 1024).
inline constexpr std::size_t kStartupSamples = 1024;

// RepetitionCountCutoff returns C = 1 + ceil(-log2(alpha) / H) for min-entropy |h| bits per sample
// (0 < h <= 8) and false-positive probability |alpha| (0 < alpha < 1).
int RepetitionCountCutoff(double h, double alpha);

// AdaptiveProportionCutoff returns C = 1 + CRITBINOM(window, 2^-h, 1 - alpha), computed from the
// exact binomial distribution. Arguments as for RepetitionCountCutoff; |window| > 0.
int AdaptiveProportionCutoff(double h, double alpha, std::size_t window);

// RepetitionCountTest is the SP 800-90B 4.4.1 test for one stream of samples. Not thread-safe.
class RepetitionCountTest {
 public:
  // RepetitionCountTest fails once a value repeats |cutoff| times in a row (|cutoff| >= 2).
  explicit RepetitionCountTest(int cutoff);
  ~RepetitionCountTest();
  RepetitionCountTest(const RepetitionCountTest&) = delete;
  RepetitionCountTest& operator=(const RepetitionCountTest&) = delete;

  // Feed tests one sample and returns false if the test has failed on it.
  bool Feed(std::uint8_t sample);
  // Reset forgets all samples seen (and wipes the last one).
  void Reset();
  int cutoff() const { return cutoff_; }

 private:
  int cutoff_;
  std::uint8_t last_ = 0;
  int run_ = 0;
};

// AdaptiveProportionTest is the SP 800-90B 4.4.2 test for one stream of samples. Not thread-safe.
class AdaptiveProportionTest {
 public:
  // AdaptiveProportionTest fails when a window's first value occurs |cutoff| times among its
  // |window| samples.
  AdaptiveProportionTest(int cutoff, std::size_t window);
  ~AdaptiveProportionTest();
  AdaptiveProportionTest(const AdaptiveProportionTest&) = delete;
  AdaptiveProportionTest& operator=(const AdaptiveProportionTest&) = delete;

  // Feed tests one sample and returns false if the test has failed on it.
  bool Feed(std::uint8_t sample);
  // Reset forgets the current window (and wipes its reference value).
  void Reset();
  int cutoff() const { return cutoff_; }
  std::size_t window() const { return window_; }

 private:
  int cutoff_;
  std::size_t window_;
  std::uint8_t reference_ = 0;
  std::size_t seen_ = 0;  // samples of the current window seen so far; 0 = no window open
  int count_ = 0;         // occurrences of reference_ in the current window
};

// HealthTests runs both continuous tests over a stream of 8-bit samples with cutoffs computed for
// min-entropy |h| per sample and kIntermittentAlpha. Not thread-safe.
class HealthTests {
 public:
  // HealthTests sets cutoffs for |h| bits of min-entropy per byte (0 < h <= 8).
  explicit HealthTests(double h, double alpha = kIntermittentAlpha);

  // Feed tests every byte of |samples| in order. It returns kInternal naming the failed test (never
  // a sample value) at the first failure; the caller must then discard the samples and Reset().
  Result<void> Feed(std::span<const std::uint8_t> samples);
  // Reset restarts both tests, as after a quarantine.
  void Reset();

  int rct_cutoff() const { return rct_.cutoff(); }
  int apt_cutoff() const { return apt_.cutoff(); }

 private:
  RepetitionCountTest rct_;
  AdaptiveProportionTest apt_;
};

// HealthTestSelfCheck is the power-on self-test of the tests themselves: they must reject a stuck
// sequence (RCT) and a heavily biased one (APT) and accept a fixed ChaCha20 keystream. It returns
// kInternal naming the check that went wrong.
Result<void> HealthTestSelfCheck();

}  // namespace seedwell

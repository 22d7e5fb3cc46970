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
// Two alarms. SP 800-90B 4.3 (requirements 1 and 2) and 4.4 let a health test distinguish an
// intermittent failure, after which the source may be retried, from a permanent one, after which
// it must not be used until it is reset. Every sample feeds both tests at two cutoffs:
//  - intermittent, alpha = 2^-30 (kIntermittentAlpha): the source is quarantined and retried with
//    back-off, so a rare false alarm costs a retry, never output. With 1024-sample start-up tests
//    and continuous testing, a healthy source sees a false alarm about once per 2^30 windows.
//  - permanent, alpha = 2^-60 (kPermanentAlpha): the same run or window count reaching a cutoff
//    that a source of the assessed H crosses by chance with probability at most 2^-60 (about
//    double the RCT cutoff). The source is disabled until an operator resets it or the process
//    restarts. This is jitterentropy's split (jitterentropy-health.c: an intermittent and a
//    permanent RCT and APT cutoff, at alpha 2^-30 and 2^-60). A stuck source crosses it within
//    one read or start-up test, because after an intermittent failure the rest of the samples
//    of that call are still fed (and discarded) to see whether the permanent cutoff follows.
// Cutoffs for H = 8 / 4 / 2: RCT 5 / 9 / 16 intermittent, 9 / 16 / 31 permanent (4.4.1's formula).
//
// Samples are secret: the tests keep only the current RCT value and the APT reference value, both
// in memory that is wiped by Reset() and on destruction, and never put them in error messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.h"

namespace seedwell {

// kIntermittentAlpha is the false-positive probability of one test for the intermittent alarm.
inline constexpr double kIntermittentAlpha = 0x1p-30;

// kPermanentAlpha is the false-positive probability of one test for the permanent alarm.
inline constexpr double kPermanentAlpha = 0x1p-60;

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

// HealthTestKind names a health test, for failure reports and the metric label `test`.
enum class HealthTestKind {
  kNone,     // no test failed
  kRct,      // the Repetition Count Test (SP 800-90B 4.4.1)
  kApt,      // the Adaptive Proportion Test (SP 800-90B 4.4.2)
  kStartup,  // either test, during the start-up test (SP 800-90B 4.3); set by MonitoredSource
};

// HealthTestKindName returns "none", "rct", "apt" or "startup".
std::string_view HealthTestKindName(HealthTestKind kind);

// HealthVerdict is the outcome of HealthTests::Feed. It converts to true when every sample passed.
struct HealthVerdict {
  HealthTestKind failed = HealthTestKind::kNone;  // the first test to fail its intermittent cutoff
  bool permanent = false;  // the samples of this call also crossed a permanent cutoff
  std::string message;     // names the test and cutoff, never a sample value; empty if passed

  bool ok() const { return failed == HealthTestKind::kNone; }
  explicit operator bool() const { return ok(); }
};

// HealthTests runs both continuous tests over a stream of 8-bit samples, each at the intermittent
// cutoff (kIntermittentAlpha) and at the permanent one (kPermanentAlpha). Not thread-safe.
class HealthTests {
 public:
  // HealthTests sets cutoffs for |h| bits of min-entropy per byte (0 < h <= 8); it throws
  // std::invalid_argument otherwise, or unless 0 < |permanent_alpha| <= |alpha| < 1.
  explicit HealthTests(double h, double alpha = kIntermittentAlpha,
                       double permanent_alpha = kPermanentAlpha);

  // Feed tests every byte of |samples| in order. At the first intermittent failure it keeps feeding
  // the rest of |samples| to the permanent tests only, then returns the verdict; the caller must
  // discard all of |samples| and Reset(). A passing call returns a verdict that is ok().
  HealthVerdict Feed(std::span<const std::uint8_t> samples);
  // Reset restarts every test, as after a quarantine.
  void Reset();

  int rct_cutoff() const { return rct_.cutoff(); }
  int apt_cutoff() const { return apt_.cutoff(); }
  int rct_permanent_cutoff() const { return rct_permanent_.cutoff(); }
  int apt_permanent_cutoff() const { return apt_permanent_.cutoff(); }

 private:
  RepetitionCountTest rct_;
  AdaptiveProportionTest apt_;
  RepetitionCountTest rct_permanent_;
  AdaptiveProportionTest apt_permanent_;
};

// HealthTestSelfCheck is the power-on self-test of the tests themselves: they must reject a stuck
// sequence (RCT, as a permanent failure) and a heavily biased one (APT) and accept a fixed
// ChaCha20 keystream. It returns kInternal naming the check that went wrong.
Result<void> HealthTestSelfCheck();

}  // namespace seedwell

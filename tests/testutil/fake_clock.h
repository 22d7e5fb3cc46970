// FakeClock: a Clock that moves only when a test advances it.
#pragma once

#include <atomic>
#include <chrono>

#include "crypto/clock.h"

namespace seedwell::testing {

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); }
  // Advance moves the clock forward by |d|.
  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }

 private:
  std::atomic<long long> now_ns_{1'000'000'000'000};  // an arbitrary non-zero start
};

}  // namespace seedwell::testing

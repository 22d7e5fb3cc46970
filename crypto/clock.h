// Clock: an injectable monotonic clock, so reseed timers, back-off and rate limits can be tested
// without sleeping.
#pragma once

#include <chrono>

namespace seedwell {

// Clock is the time source of every timer in seedwell. Implementations must be thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Now returns the current monotonic time.
  virtual TimePoint Now() const = 0;
};

// SteadyClock is the production clock (std::chrono::steady_clock).
class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  // Instance returns a process-wide SteadyClock; it is never destroyed.
  static const Clock& Instance() {
    static const SteadyClock clock;
    return clock;
  }
};

}  // namespace seedwell

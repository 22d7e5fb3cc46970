// FakeSource: a scriptable EntropySource for tests of health testing, quarantine and seeding.
//
// A test keeps a shared FakeSourceControl and changes the fake's behaviour at any time, also after
// the fake has been handed to a MonitoredSource: good output (a SplitMix64 stream, statistically
// fine for the health tests and reproducible), stuck at one value, all zeros, heavily biased
// (every fourth byte zero), good after a short repeated burst at the start of every read (an
// intermittent RCT failure that stops short of the permanent cutoff), or failing reads; a countdown
// of failing reads before recovery; and a FakeClock that advances by a fixed time per byte read, so
// read rates can be measured.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/entropy_source.h"
#include "tests/testutil/fake_clock.h"

namespace seedwell::testing {

enum class FakeMode {
  kGood,    // SplitMix64 output
  kStuck,   // every byte is stuck_value
  kZeros,   // every byte is zero
  kBiased,  // every fourth byte of the stream is zero, the others good
  kBursts,  // every read starts with burst_length copies of stuck_value, then good output
  kError,   // every read fails with kUnavailable
};

struct FakeSourceControl {
  std::atomic<FakeMode> mode{FakeMode::kGood};
  std::atomic<std::uint8_t> stuck_value{0x42};
  // kBursts: 6 trips the intermittent RCT cutoff at H = 8 (5) but not the permanent one (9).
  std::atomic<int> burst_length{6};
  std::atomic<int> fail_reads{0};  // the next this many reads fail, then |mode| applies again
  std::atomic<std::uint64_t> reads{0};
  std::atomic<std::uint64_t> bytes_read{0};  // bytes produced by successful reads
  FakeClock* clock = nullptr;                // if set, advanced by per_byte for each byte read
  std::chrono::nanoseconds per_byte{0};
};

class FakeSource final : public EntropySource {
 public:
  explicit FakeSource(
      std::string name, SourceKind kind = SourceKind::kHardware, double h = 8.0,
      std::shared_ptr<FakeSourceControl> control = std::make_shared<FakeSourceControl>(),
      std::uint64_t seed = 1)
      : name_(std::move(name)), kind_(kind), h_(h), control_(std::move(control)), state_(seed) {}

  std::string_view Name() const override { return name_; }
  SourceKind Kind() const override { return kind_; }
  double MinEntropyPerByte() const override { return h_; }

  Result<void> Read(std::span<std::uint8_t> out) override {
    ++control_->reads;
    if (control_->fail_reads.load() > 0) {
      --control_->fail_reads;
      return Fail(ErrorCode::kUnavailable, "fake read error");
    }
    const FakeMode mode = control_->mode.load();
    if (mode == FakeMode::kError) return Fail(ErrorCode::kUnavailable, "fake read error");
    std::size_t index = 0;
    for (std::uint8_t& b : out) {
      switch (mode) {
        case FakeMode::kStuck:
          b = control_->stuck_value.load();
          break;
        case FakeMode::kZeros:
          b = 0;
          break;
        case FakeMode::kBiased:
          b = (position_ % 4 == 0) ? 0 : NextByte();
          break;
        case FakeMode::kBursts:
          b = (index < static_cast<std::size_t>(control_->burst_length.load()))
                  ? control_->stuck_value.load()
                  : NextByte();
          break;
        default:
          b = NextByte();
          break;
      }
      ++position_;
      ++index;
    }
    control_->bytes_read += out.size();
    if (control_->clock != nullptr) {
      control_->clock->Advance(control_->per_byte * static_cast<std::int64_t>(out.size()));
    }
    return {};
  }

 private:
  std::uint8_t NextByte() {
    // SplitMix64 (Steele, Lea, Flood 2014), one output byte per step.
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return static_cast<std::uint8_t>(z ^ (z >> 31));
  }

  std::string name_;
  SourceKind kind_;
  double h_;
  std::shared_ptr<FakeSourceControl> control_;
  std::uint64_t state_;
  std::uint64_t position_ = 0;
};

}  // namespace seedwell::testing

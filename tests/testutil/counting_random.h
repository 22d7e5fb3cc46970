// CountingRandom: a deterministic RandomFill for tests. Every call yields bytes that no other call
// yields (a running counter, little-endian, in every 8-byte word), so "two seeds differ" is
// testable; it can be told to fail from the N-th call on, like a DRBG that failed closed.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "crypto/result.h"
#include "service/config_drive/seed_file.h"

namespace seedwell::testing {

class CountingRandom {
 public:
  // Fill returns a RandomFill bound to this object, which must outlive it.
  RandomFill Fill() {
    return [this](std::span<std::uint8_t> out) -> Result<void> {
      if (calls_++ >= fail_from_call_) return Fail(ErrorCode::kUnavailable, "generator failed");
      for (std::size_t i = 0; i < out.size(); i += 8) {
        ++counter_;
        std::uint8_t word[8];
        for (int b = 0; b < 8; ++b) word[b] = static_cast<std::uint8_t>(counter_ >> (8 * b));
        std::memcpy(out.data() + i, word, std::min<std::size_t>(8, out.size() - i));
      }
      bytes_ += out.size();
      return {};
    };
  }
  void FailFromCall(std::uint64_t n) { fail_from_call_ = n; }
  std::uint64_t calls() const { return calls_; }
  // bytes returns how many bytes successful calls have produced.
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::uint64_t counter_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t fail_from_call_ = UINT64_MAX;
};

}  // namespace seedwell::testing

// Containers for secrets: key material, seeds, tokens, DRBG state.
//
// Both types are non-copyable (a copy is a second place a secret must be wiped) and wipe their
// bytes with sodium_memzero on destruction, so the compiler cannot elide the wipe.
//
// SecretArray<N> lives inline (stack or member). Use it for short-lived temporaries. It is not
// locked in memory: mlock works on whole pages and is not reference-counted, so locking inline
// objects would let one object's munlock unlock a neighbour's page.
//
// SecretBuffer lives in its own sodium_malloc allocation: guard pages on both sides, locked in
// memory (never swapped), wiped and unlocked on free. Use it for long-lived keys and generator
// state. Its size is fixed at construction: it never reallocates, so no stale copy is left behind.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace seedwell {

// EnsureSodium initialises libsodium once per process (thread-safe) and aborts if it cannot: no
// secret may be handled without it.
void EnsureSodium();

// SecretArray is a fixed-size secret kept inline and wiped on destruction and on move-from.
template <std::size_t N>
class SecretArray {
 public:
  SecretArray() { bytes_.fill(0); }
  ~SecretArray() { sodium_memzero(bytes_.data(), N); }
  SecretArray(const SecretArray&) = delete;
  SecretArray& operator=(const SecretArray&) = delete;
  SecretArray(SecretArray&& other) noexcept : bytes_(other.bytes_) { other.Wipe(); }
  SecretArray& operator=(SecretArray&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      other.Wipe();
    }
    return *this;
  }

  static constexpr std::size_t size() { return N; }
  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::span<std::uint8_t, N> span() { return std::span<std::uint8_t, N>(bytes_); }
  std::span<const std::uint8_t, N> span() const { return std::span<const std::uint8_t, N>(bytes_); }
  std::uint8_t& operator[](std::size_t i) { return bytes_[i]; }
  const std::uint8_t& operator[](std::size_t i) const { return bytes_[i]; }

  // Wipe zeroes the secret now (to keep forward secrecy without waiting for destruction).
  void Wipe() { sodium_memzero(bytes_.data(), N); }

 private:
  std::array<std::uint8_t, N> bytes_;
};

// SecretBuffer is a locked, guarded heap buffer of a size fixed at construction.
class SecretBuffer {
 public:
  // SecretBuffer allocates |size| zeroed bytes with sodium_malloc; it aborts on allocation failure
  // (like operator new). A size of zero makes an empty buffer.
  explicit SecretBuffer(std::size_t size = 0);
  ~SecretBuffer();
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  SecretBuffer(SecretBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::span<std::uint8_t> span() { return {data_, size_}; }
  std::span<const std::uint8_t> span() const { return {data_, size_}; }

  // Wipe zeroes the contents without freeing them.
  void Wipe();

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// ConstantTimeEquals compares two byte strings in time that depends only on their lengths. Strings
// of different lengths compare unequal (the length itself is not secret).
bool ConstantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace seedwell

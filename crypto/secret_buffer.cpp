#include "crypto/secret_buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace seedwell {

void EnsureSodium() {
  static const int ok = sodium_init();
  if (ok < 0) std::abort();
}

SecretBuffer::SecretBuffer(std::size_t size) : size_(size) {
  if (size == 0) return;
  EnsureSodium();
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  std::memset(data_, 0, size);
}

SecretBuffer::~SecretBuffer() {
  if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes, unlocks and unmaps.
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecretBuffer::Wipe() {
  if (data_ != nullptr) sodium_memzero(data_, size_);
}

bool ConstantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace seedwell

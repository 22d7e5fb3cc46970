#include "guest/lazy_randombytes.h"

#include <sodium.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace seedwell {
namespace {

const char* Name() { return "seedwell-lazy-getrandom"; }

void Buf(void* const out, const size_t size) {
  auto* p = static_cast<std::uint8_t*>(out);
  size_t left = size;
  while (left > 0) {
    const ssize_t n = ::getrandom(p, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::abort();  // no randomness at all: nothing safe to do
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::uint32_t Random() {
  std::uint32_t v = 0;
  Buf(&v, sizeof(v));
  return v;
}

void Stir() {}  // nothing to gather ahead of time

randombytes_implementation kImplementation = {Name, Random, Stir, nullptr, Buf, nullptr};

}  // namespace

void UseLazyRandombytes() {
  static const bool installed = [] {
    (void)randombytes_set_implementation(&kImplementation);
    return true;
  }();
  (void)installed;
}

}  // namespace seedwell

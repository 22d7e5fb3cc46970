// DRBG throughput and latency, side by side with its ceilings and the generators an operator might
// compare it with. Ceilings: the raw ChaCha20 keystream of OpenSSL (EVP_chacha20, its AVX-512 code
// where the CPU has it: the fastest ChaCha20 on x86), of seedwell's own Chacha20Keystream (the
// implementation the DRBG uses, crypto/chacha20_keystream.h) and of libsodium. Others:
// getrandom(2), OpenSSL RAND_bytes, libsodium randombytes_buf. Results and the exact command are
// recorded in docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <sys/random.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "crypto/chacha20_keystream.h"
#include "crypto/clock.h"
#include "crypto/drbg.h"
#include "crypto/seed_provider.h"

namespace seedwell {
namespace {

// KernelSeedProvider seeds the benchmark's DRBG from getrandom(2).
class KernelSeedProvider final : public SeedProvider {
 public:
  Result<void> GatherSeed(std::span<std::uint8_t, kSeedBytes> seed) override {
    if (getrandom(seed.data(), seed.size(), 0) != static_cast<ssize_t>(seed.size())) {
      return Fail(ErrorCode::kUnavailable, "getrandom failed");
    }
    return {};
  }
};

Drbg& SharedDrbg() {
  static KernelSeedProvider seeds;
  static Drbg* drbg = [] {
    auto* d = new Drbg(seeds, SteadyClock::Instance());
    if (!d->Seed()) std::abort();
    return d;
  }();
  return *drbg;
}

void SetBytes(benchmark::State& state, std::size_t n) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(n));
}

void BM_Drbg(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> out(n);
  Drbg& drbg = SharedDrbg();
  for (auto _ : state) {
    if (!drbg.Generate(out)) state.SkipWithError("Generate failed");
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetBytes(state, n);
}

void BM_RawChacha20Keystream(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> out(n);
  std::array<std::uint8_t, crypto_stream_chacha20_ietf_KEYBYTES> key{};
  std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
  randombytes_buf(key.data(), key.size());
  for (auto _ : state) {
    crypto_stream_chacha20_ietf(out.data(), out.size(), nonce.data(), key.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetBytes(state, n);
}

// BM_OpensslChacha20Keystream is KS(key, n) from OpenSSL: one EVP_EncryptInit_ex2 (new key, zero
// IV) and one EVP_EncryptUpdate over n zero bytes per iteration, on a context and a cipher fetched
// once, as a generator keyed afresh per call would use it.
void BM_OpensslChacha20Keystream(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> zeros(n), out(n);
  std::array<std::uint8_t, 32> key{};
  const std::array<std::uint8_t, 16> iv{};  // 32-bit counter 0, then the 96-bit nonce 0
  randombytes_buf(key.data(), key.size());
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (cipher == nullptr || ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx, cipher, key.data(), iv.data(), nullptr) != 1) {
    state.SkipWithError("EVP_chacha20 unavailable");
  } else {
    for (auto _ : state) {
      int len = 0;
      if (EVP_EncryptInit_ex2(ctx, nullptr, key.data(), iv.data(), nullptr) != 1 ||
          EVP_EncryptUpdate(ctx, out.data(), &len, zeros.data(), static_cast<int>(n)) != 1) {
        state.SkipWithError("EVP_EncryptUpdate failed");
        break;
      }
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  SetBytes(state, n);
}

// BM_SeedwellChacha20Keystream is KS(key, n) from Chacha20Keystream on the implementation named
// by the argument (0: the AVX-512 kernel, 1: libsodium), as the DRBG calls it.
void BM_SeedwellChacha20Keystream(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto impl = state.range(1) == 0 ? KeystreamImpl::kAvx512 : KeystreamImpl::kPortable;
  std::vector<std::uint8_t> out(n);
  std::array<std::uint8_t, kChacha20KeyBytes> key{};
  randombytes_buf(key.data(), key.size());
  state.SetLabel(std::string(KeystreamImplName(impl)));
  for (auto _ : state) {
    if (!Chacha20KeystreamWith(impl, out, key)) {
      state.SkipWithError("implementation not supported on this CPU");
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetBytes(state, n);
}

void BM_Getrandom(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> out(n);
  for (auto _ : state) {
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = getrandom(out.data() + done, n - done, 0);
      if (got <= 0) {
        state.SkipWithError("getrandom failed");
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    benchmark::DoNotOptimize(out.data());
  }
  SetBytes(state, n);
}

void BM_OpensslRandBytes(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> out(n);
  for (auto _ : state) {
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) state.SkipWithError("RAND_bytes");
    benchmark::DoNotOptimize(out.data());
  }
  SetBytes(state, n);
}

void BM_SodiumRandombytesBuf(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> out(n);
  for (auto _ : state) {
    randombytes_buf(out.data(), n);
    benchmark::DoNotOptimize(out.data());
  }
  SetBytes(state, n);
}

constexpr std::int64_t kSmall = 64;
constexpr std::int64_t kBlock = 1024;  // one refill of the DRBG's per-thread buffer
constexpr std::int64_t kLarge = 1 << 20;

BENCHMARK(BM_Drbg)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_RawChacha20Keystream)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_OpensslChacha20Keystream)
    ->Arg(kSmall)
    ->Arg(kBlock)
    ->Arg(kLarge)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_SeedwellChacha20Keystream)
    ->ArgsProduct({{kSmall, kBlock, kLarge}, {0, 1}})
    ->Threads(1)
    ->UseRealTime();
BENCHMARK(BM_Getrandom)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_OpensslRandBytes)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_SodiumRandombytesBuf)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace seedwell

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

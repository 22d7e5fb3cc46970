// DRBG throughput and latency, side by side with its ceiling (raw ChaCha20 keystream) and the
// generators an operator might compare it with: getrandom(2), OpenSSL RAND_bytes, libsodium
// randombytes_buf. Results and the exact command are recorded in docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <sys/random.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

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
constexpr std::int64_t kLarge = 1 << 20;

BENCHMARK(BM_Drbg)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_RawChacha20Keystream)->Arg(kSmall)->Arg(kLarge)->Threads(1)->Threads(2)->UseRealTime();
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

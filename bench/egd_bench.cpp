// EGD server throughput: 255-byte blocking reads (command 0x02 0xff, one request in flight per
// client, as QEMU's rng-egd does) over a per-instance Unix socket, from 1 and 64 concurrent
// clients, against an in-process EgdServer with the production Dispenser, DRBG (kernel-seeded)
// and an SQLite registry; the instance's rate limit is set out of the way. Resident memory at
// 1,000 idle connections is measured on the real binary by scripts/egd_idle_rss.sh.
// CPU per read: server_cpu_us is the event-loop thread's CPU time (pthread_getcpuclockid) and
// process_cpu_us the whole process's (clients included), each divided by the reads of all clients.
// Results and the exact commands are recorded in docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>

#include "api/egd/egd_server.h"
#include "service/store/sqlite_store.h"
#include "tests/testutil/service_stack.h"

namespace seedwell {
namespace {

constexpr char kId[] = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";

// Fixture is one server for the whole program, started on first use.
struct Fixture : protected testing::ServiceStack {
  Fixture() {
    std::string pattern = (std::filesystem::temp_directory_path() / "egd-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir = pattern;
    config.max_connections_per_peer = 1000;
    if (!BuildStack(dir, {.default_limits = {1ULL << 40, 1ULL << 40}})) std::abort();
    if (!RegisterInstance(kId)) std::abort();
    server = std::make_unique<EgdServer>(config, *registry_, *addresses_, *dispenser_, *entropy_,
                                         metrics);
    thread = server->StartThread();
    path = dir + "/i.sock";
    if (!server->ListenUnix(kId, path, 0600, "bench")) std::abort();
  }
  std::string dir, path;
  EgdOptions config;
  MetricsRegistry metrics;
  std::unique_ptr<EgdServer> server;
  std::thread thread;
};

// CpuMicros reads |clock| (a CPU-time clock, or CLOCK_MONOTONIC for wall time) in microseconds.
double CpuMicros(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

Fixture& Shared() {
  static Fixture* fixture = new Fixture();  // lives until exit; the loop thread is detached then
  return *fixture;
}

void BM_EgdBlockingRead255(benchmark::State& state) {
  const std::string& path = Shared().path;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    state.SkipWithError("connect failed");
    return;
  }
  const std::array<std::uint8_t, 2> request = {0x02, 0xff};
  std::array<std::uint8_t, 255> reply{};
  clockid_t loop_clock{};
  if (pthread_getcpuclockid(Shared().thread.native_handle(), &loop_clock) != 0) {
    state.SkipWithError("no CPU clock for the loop thread");
    return;
  }
  // Thread 0 measures for everyone: the benchmark's threads start and stop together.
  const bool measure = state.thread_index() == 0;
  const double server0 = measure ? CpuMicros(loop_clock) : 0;
  const double process0 = measure ? CpuMicros(CLOCK_PROCESS_CPUTIME_ID) : 0;
  const double wall0 = measure ? CpuMicros(CLOCK_MONOTONIC) : 0;
  for (auto _ : state) {
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != 2) {
      state.SkipWithError("send failed");
      break;
    }
    if (recv(fd, reply.data(), reply.size(), MSG_WAITALL) != 255) {
      state.SkipWithError("short reply");
      break;
    }
    benchmark::DoNotOptimize(reply.data());
  }
  if (measure) {
    const double reads = static_cast<double>(state.iterations()) * state.threads();
    state.counters["server_cpu_us"] = (CpuMicros(loop_clock) - server0) / reads;
    state.counters["process_cpu_us"] = (CpuMicros(CLOCK_PROCESS_CPUTIME_ID) - process0) / reads;
    state.counters["reads_per_s"] = reads / ((CpuMicros(CLOCK_MONOTONIC) - wall0) / 1e6);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 255);
  close(fd);
}
BENCHMARK(BM_EgdBlockingRead255)->Threads(1)->Threads(64)->UseRealTime();

}  // namespace
}  // namespace seedwell

BENCHMARK_MAIN();

#include "crypto/fork_detector.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <spdlog/spdlog.h>

namespace seedwell {
namespace {

// g_generation is the fork generation. It starts at 1 so 0 can mean "never seen".
std::atomic<std::uint64_t> g_generation{1};

void BumpGenerationInChild() { g_generation.fetch_add(1, std::memory_order_acq_rel); }

struct Detector {
  std::atomic<std::uint8_t>* flag = nullptr;  // in the wipe-on-fork page, or null
  ForkDetectionMode mode = ForkDetectionMode::kAtForkOnly;
};

// SetUpWipeOnForkPage maps the flag page, or returns null if MADV_WIPEONFORK is unavailable or
// cannot be trusted.
void* SetUpWipeOnForkPage() {
#if defined(MADV_WIPEONFORK)
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return nullptr;
  void* addr = mmap(nullptr, static_cast<std::size_t>(page), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (addr == MAP_FAILED) return nullptr;
  // An madvise that accepts nonsense would also "accept" MADV_WIPEONFORK without honouring it.
  if (madvise(addr, static_cast<std::size_t>(page), -1) == 0 ||
      madvise(addr, static_cast<std::size_t>(page), MADV_WIPEONFORK) != 0) {
    munmap(addr, static_cast<std::size_t>(page));
    return nullptr;
  }
  return addr;
#else
  return nullptr;
#endif
}

Detector MakeDetector() {
  Detector detector;
  if (pthread_atfork(nullptr, nullptr, BumpGenerationInChild) != 0) {
    spdlog::critical("fork detector: pthread_atfork failed");
    std::abort();
  }
  void* page = SetUpWipeOnForkPage();
  if (page != nullptr) {
    detector.flag = new (page) std::atomic<std::uint8_t>(1);
    detector.mode = ForkDetectionMode::kWipeOnFork;
  } else {
    spdlog::warn("fork detector: MADV_WIPEONFORK unavailable; relying on pthread_atfork");
  }
  return detector;
}

const Detector& GetDetector() {
  static const Detector detector = MakeDetector();
  return detector;
}

}  // namespace

std::uint64_t ForkDetector::Generation() {
  const Detector& detector = GetDetector();
  if (detector.flag != nullptr && detector.flag->load(std::memory_order_acquire) == 0) {
    // The kernel wiped the page: this is a child. Several threads may get here at once; each
    // bump is harmless, only change matters.
    g_generation.fetch_add(1, std::memory_order_acq_rel);
    detector.flag->store(1, std::memory_order_release);
  }
  return g_generation.load(std::memory_order_acquire);
}

ForkDetectionMode ForkDetector::Mode() { return GetDetector().mode; }

std::string_view ForkDetector::ModeName(ForkDetectionMode mode) {
  switch (mode) {
    case ForkDetectionMode::kWipeOnFork:
      return "wipeonfork";
    case ForkDetectionMode::kAtForkOnly:
      return "atfork";
  }
  return "unknown";
}

}  // namespace seedwell

#include "crypto/drbg.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

#include "crypto/fork_detector.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

namespace internal {

// DrbgThreadState is one thread's generator for one Drbg. It lives in a thread_local list and is
// wiped (ChachaGenerator's SecretBuffer) when the thread exits or its Drbg is gone.
struct DrbgThreadState {
  explicit DrbgThreadState(std::span<const std::uint8_t, ChachaGenerator::kKeyBytes> key)
      : generator(key) {}
  ChachaGenerator generator;
  std::uint64_t generation = 0;     // the root generation |generator| was keyed from
  std::uint64_t pending_bytes = 0;  // output not yet added to the Drbg's counters
};

}  // namespace internal

namespace {

using internal::DrbgThreadState;

// kFlushBytes is how much output a thread counts locally before touching the shared counters.
constexpr std::uint64_t kFlushBytes = 4096;
// kRequestChunkBytes bounds the output between two generation checks within one Generate call.
constexpr std::size_t kRequestChunkBytes = std::size_t{1} << 20;

constexpr std::array<std::uint8_t, ChachaGenerator::kKeyBytes> kUnseededKey{};

std::atomic<std::uint64_t> g_next_drbg_id{1};

// ------------------------------------------------------------------------------------------
// Per-thread state, keyed by Drbg instance.
// ------------------------------------------------------------------------------------------

struct LocalEntry {
  std::uint64_t drbg_id;
  std::weak_ptr<const int> alive;  // expires when the Drbg is destroyed
  std::unique_ptr<DrbgThreadState> state;
};

struct LocalStates {
  std::vector<LocalEntry> entries;
  std::uint64_t last_id = 0;  // one-entry cache for the common single-Drbg case
  DrbgThreadState* last = nullptr;
};

thread_local LocalStates t_states;

// GetRandomBytes fills |out| from getrandom(2); false if the kernel cannot deliver.
bool GetRandomBytes(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const ssize_t n = getrandom(out.data(), out.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out = out.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Fork registry: every Drbg's lock is taken across fork() so no child inherits a held lock.
// ------------------------------------------------------------------------------------------

struct DrbgForkRegistry {
  static std::mutex& Mutex() {
    static auto* mu = new std::mutex;  // never destroyed: fork may happen during exit
    return *mu;
  }
  static std::vector<Drbg*>& List() {
    static auto* list = new std::vector<Drbg*>;
    return *list;
  }
  static void Prepare() {
    Mutex().lock();
    for (Drbg* drbg : List()) drbg->mu_.lock();
  }
  static void Release() {
    for (Drbg* drbg : List()) drbg->mu_.unlock();
    Mutex().unlock();
  }
  static void Add(Drbg* drbg) {
    static const int installed = pthread_atfork(Prepare, Release, Release);
    if (installed != 0) {
      spdlog::critical("drbg: pthread_atfork failed");
      std::abort();
    }
    const std::lock_guard lock(Mutex());
    List().push_back(drbg);
  }
  static void Remove(Drbg* drbg) {
    const std::lock_guard lock(Mutex());
    std::erase(List(), drbg);
  }
};

// ------------------------------------------------------------------------------------------
// Drbg
// ------------------------------------------------------------------------------------------

Drbg::Drbg(SeedProvider& seeds, const Clock& clock, DrbgOptions options)
    : seeds_(seeds),
      clock_(clock),
      steady_clock_(dynamic_cast<const SteadyClock*>(&clock)),
      options_(options),
      id_(g_next_drbg_id.fetch_add(1)),
      alive_(std::make_shared<const int>(0)),
      root_(kUnseededKey) {
  fork_generation_.store(ForkDetector::Generation());
  DrbgForkRegistry::Add(this);
}

Drbg::~Drbg() { DrbgForkRegistry::Remove(this); }

Drbg::Nanos Drbg::NowNanos() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
      .count();
}

Drbg::Nanos Drbg::CoarseNowNanos() const {
  // The production clock is read without the virtual call (SteadyClock is final).
  const Clock::TimePoint now =
      steady_clock_ != nullptr ? steady_clock_->CoarseNow() : clock_.CoarseNow();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
}

bool Drbg::ReadyAt(Nanos now) const {
  if (!seeded_.load(std::memory_order_acquire)) return false;
  const auto limit =
      std::chrono::nanoseconds(options_.reseed_interval + options_.fail_closed_grace);
  return now - last_reseed_.load(std::memory_order_relaxed) <= limit.count();
}

bool Drbg::ReseedDueAt(Nanos now) const {
  return !seeded_.load(std::memory_order_acquire) ||
         now >= next_check_.load(std::memory_order_relaxed) ||
         bytes_since_reseed_.load(std::memory_order_relaxed) >= options_.reseed_bytes;
}

Result<void> Drbg::Seed() { return Reseed(); }

Result<void> Drbg::Reseed() {
  CheckFork();
  const std::lock_guard lock(mu_);
  return ReseedLocked(NowNanos());
}

Result<void> Drbg::MaybeReseed() {
  CheckFork();
  const Nanos now = NowNanos();
  if (!ReseedDueAt(now)) return {};
  const std::lock_guard lock(mu_);
  if (!ReseedDueAt(now)) return {};  // another thread reseeded while we waited
  return ReseedLocked(now);
}

Result<void> Drbg::ReseedLocked(Nanos now) {
  SecretArray<kSeedBytes> seed;  // wiped on every path by its destructor
  Result<void> gathered = seeds_.GatherSeed(seed.span());
  if (!gathered) {
    reseed_failures_.fetch_add(1, std::memory_order_relaxed);
    next_attempt_.store(now + std::chrono::nanoseconds(options_.reseed_retry).count(),
                        std::memory_order_relaxed);
    spdlog::warn("drbg: reseed failed ({}: {}){}", ErrorCodeName(gathered.error().code),
                 gathered.error().message, ReadyAt(now) ? "" : "; failing closed");
    return gathered;
  }
  root_.Mix(seed.span());
  last_reseed_.store(now, std::memory_order_relaxed);
  next_check_.store(now + std::chrono::nanoseconds(options_.reseed_interval).count(),
                    std::memory_order_relaxed);
  next_attempt_.store(0, std::memory_order_relaxed);
  bytes_since_reseed_.store(0, std::memory_order_relaxed);
  reseeds_.fetch_add(1, std::memory_order_relaxed);
  seeded_.store(true, std::memory_order_release);
  // Publish last: a thread that sees the new generation rekeys from the reseeded root.
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

Result<void> Drbg::OpportunisticReseed(Nanos now) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    // Another thread is reseeding. Keep serving from the current state if that is still
    // allowed; otherwise wait for its outcome.
    if (ReadyAt(now)) return {};
    lock.lock();
  }
  if (!ReseedDueAt(now) || now < next_attempt_.load(std::memory_order_relaxed)) return {};
  return ReseedLocked(now);
}

void Drbg::CheckFork() {
  const std::uint64_t seen = ForkDetector::Generation();
  if (seen == fork_generation_.load(std::memory_order_acquire)) [[likely]]
    return;
  TakeOwnershipAfterFork();
}

void Drbg::TakeOwnershipAfterFork() {
  const std::lock_guard lock(mu_);
  const std::uint64_t current = ForkDetector::Generation();
  if (current == fork_generation_.load(std::memory_order_acquire)) return;
  // We are a new process holding a copy of our parent's root. Make it ours.
  SecretArray<32 + sizeof(pid_t) + sizeof(std::uint64_t)> input;
  const bool fresh = GetRandomBytes(input.span().first(32));
  const pid_t pid = getpid();
  std::memcpy(input.data() + 32, &pid, sizeof(pid));
  std::memcpy(input.data() + 32 + sizeof(pid), &current, sizeof(current));
  root_.Mix(input.span());
  if (!fresh) {
    // The pid keeps our output distinct from the parent's, but the parent could predict it:
    // refuse output until the SeedProvider reseeds us.
    spdlog::error("drbg: getrandom failed after fork; failing closed until reseeded");
    seeded_.store(false, std::memory_order_release);
    next_attempt_.store(0, std::memory_order_relaxed);
  }
  fork_generation_.store(current, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

internal::DrbgThreadState& Drbg::LocalState() {
  LocalStates& local = t_states;
  if (local.last_id == id_) [[likely]]
    return *local.last;
  return NewLocalState();
}

internal::DrbgThreadState& Drbg::NewLocalState() {
  LocalStates& local = t_states;
  auto found = std::find_if(local.entries.begin(), local.entries.end(),
                            [this](const LocalEntry& e) { return e.drbg_id == id_; });
  if (found == local.entries.end()) {
    // Free (and so wipe) the states of Drbgs that no longer exist before adding one.
    std::erase_if(local.entries, [](const LocalEntry& e) { return e.alive.expired(); });
    SecretArray<ChachaGenerator::kKeyBytes> key;
    std::uint64_t generation = 0;
    {
      const std::lock_guard lock(mu_);
      root_.Generate(key.span());
      generation = generation_.load(std::memory_order_acquire);
    }
    auto state = std::make_unique<DrbgThreadState>(key.span());
    state->generation = generation;
    local.entries.push_back(LocalEntry{id_, alive_, std::move(state)});
    found = std::prev(local.entries.end());
  }
  local.last_id = id_;
  local.last = found->state.get();
  return *local.last;
}

void Drbg::RekeyThread(internal::DrbgThreadState& state) {
  SecretArray<ChachaGenerator::kKeyBytes> key;
  const std::lock_guard lock(mu_);
  root_.Generate(key.span());
  state.generator.Rekey(key.span());
  state.generation = generation_.load(std::memory_order_acquire);
}

void Drbg::FlushBytes(internal::DrbgThreadState& state) {
  bytes_since_reseed_.fetch_add(state.pending_bytes, std::memory_order_relaxed);
  bytes_generated_.fetch_add(state.pending_bytes, std::memory_order_relaxed);
  state.pending_bytes = 0;
}

Result<void> Drbg::Generate(std::span<std::uint8_t> out) {
  CheckFork();
  // The coarse clock keeps this check off the cost of a request: deadlines are seconds apart.
  const Nanos now = CoarseNowNanos();
  // Common case: seeded and no reseed due. Then output is allowed without reading last_reseed_:
  // next_check_ is last_reseed_ + reseed_interval, inside the fail-closed limit (ReadyAt).
  if (ReseedDueAt(now)) [[unlikely]] {
    if (now >= next_attempt_.load(std::memory_order_relaxed)) {
      // A failure here is not yet an error: ReadyAt decides whether output may continue.
      (void)OpportunisticReseed(now);
    }
    if (!ReadyAt(now)) {
      if (!out.empty()) sodium_memzero(out.data(), out.size());
      return Fail(ErrorCode::kUnavailable, "random generator is unseeded or its reseed is overdue");
    }
  }
  DrbgThreadState& state = LocalState();
  while (!out.empty()) {
    if (state.generation != generation_.load(std::memory_order_acquire)) [[unlikely]] {
      RekeyThread(state);
    }
    const std::size_t n = std::min(out.size(), kRequestChunkBytes);
    state.generator.Generate(out.first(n));
    out = out.subspan(n);
    state.pending_bytes += n;
    if (state.pending_bytes >= kFlushBytes) FlushBytes(state);
  }
  return {};
}

bool Drbg::Ready() const { return ReadyAt(NowNanos()); }

DrbgStats Drbg::Stats() const {
  const Nanos now = NowNanos();
  return DrbgStats{
      .generation = generation_.load(),
      .reseeds = reseeds_.load(),
      .reseed_failures = reseed_failures_.load(),
      .bytes_generated = bytes_generated_.load(),
      .last_reseed = Clock::TimePoint(std::chrono::nanoseconds(last_reseed_.load())),
      .ready = ReadyAt(now),
  };
}

}  // namespace seedwell

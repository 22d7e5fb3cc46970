// ForkDetector: tells a generator that it is running in a new process after fork().
//
// Theory of operation
// -------------------
// A forked child starts with a byte-for-byte copy of its parent's memory, generator state included;
// unless the child notices, parent and child produce the same "random" bytes. ForkDetector keeps a
// process-wide fork generation: a number that changes in the child after every fork and never in
// the parent. Generators remember the generation they last saw and mix in fresh entropy when it
// changes.
//
// Two mechanisms, after BoringSSL's crypto/fork_detect.c:
//  - kWipeOnFork: one anonymous page marked MADV_WIPEONFORK (Linux >= 4.14) holds a non-zero flag.
//    The kernel hands the child a zeroed page, so the first Generation() call in the child sees
//    zero, bumps the generation and sets the flag again. It also catches clone() and raw fork
//    system calls that bypass libc. Some emulators (qemu-user) accept any madvise advice and
//    ignore it, so the mechanism is used only if madvise first rejects an invalid advice value.
//  - pthread_atfork: a child handler bumps the generation. It is always installed, as a fallback
//    and as a second witness; bumping twice is harmless because only change matters.
#pragma once

#include <cstdint>
#include <string_view>

namespace seedwell {

// ForkDetectionMode says which mechanism backs the fork generation in this process.
enum class ForkDetectionMode {
  kWipeOnFork,  // an MADV_WIPEONFORK page, plus pthread_atfork
  kAtForkOnly,  // pthread_atfork alone (no clone() detection)
};

// ForkDetector is a process-wide, thread-safe, lock-free fork witness.
class ForkDetector {
 public:
  // Generation returns the current fork generation; it differs from every value returned before
  // the most recent fork in this process's ancestry. The first call sets the detector up (and
  // aborts if it cannot allocate its page); later calls cost a load or two.
  static std::uint64_t Generation();

  // Mode returns the mechanism in use.
  static ForkDetectionMode Mode();

  // ModeName returns "wipeonfork" or "atfork", for logs and status.
  static std::string_view ModeName(ForkDetectionMode mode);
};

}  // namespace seedwell

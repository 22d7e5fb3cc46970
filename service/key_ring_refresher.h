// KeyRingRefresher: keeps a KeyRing in step with the ring other replicas write to the shared
// store. A thread reloads the ring (KeyRing::Reload) when poked, which the change feed does as a
// key ring notice arrives (within milliseconds of another replica's rotation), and every
// |interval| regardless, as the fallback when a notice was missed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "crypto/key_ring.h"

namespace seedwell {

// KeyRingRefresher is described at the top of this file. Thread-safe.
class KeyRingRefresher {
 public:
  static constexpr std::chrono::milliseconds kDefaultInterval{5000};

  // KeyRingRefresher starts the thread; |ring| must outlive this object. A failed reload (the
  // database away) is logged once per run of failures and retried at the next poke or interval;
  // the ring in use stays as it was.
  explicit KeyRingRefresher(KeyRing& ring, std::chrono::milliseconds interval = kDefaultInterval);
  ~KeyRingRefresher();
  KeyRingRefresher(const KeyRingRefresher&) = delete;
  KeyRingRefresher& operator=(const KeyRingRefresher&) = delete;

  // Poke asks for a reload now; it returns at once (the reload runs on the refresher's thread).
  void Poke();

 private:
  void Loop();

  KeyRing& ring_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace seedwell

// VmForkWatcher: `seedwell serve` running inside a VM that gets snapshotted or cloned. On the
// kernel's NEW_VMGENID uevent (crypto/vmgenid_events.h) it reseeds the service's DRBG at once
// (Drbg::Reseed: a seed from every healthy source, the kernel's getrandom among them, which the
// kernel reseeded from the new generation id first; then a generation bump that makes every
// thread generator rekey before its next output), so two copies of one snapshot diverge from
// their next byte. A reseed that fails is retried by the reseed thread like any failed reseed. A
// background thread waits on the uevent socket; on a host without one (no netlink in the namespace)
// the watcher is simply absent and serve says so.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "crypto/drbg.h"
#include "crypto/vmgenid_events.h"

namespace seedwell {

class VmForkWatcher {
 public:
  // Start starts the thread over |listener|; |drbg| must outlive the watcher. |on_event|, when
  // given, runs after each reseed attempt with its result (logging, metrics, tests).
  static std::unique_ptr<VmForkWatcher> Start(
      UeventListener listener, Drbg& drbg,
      std::function<void(const Result<void>&)> on_event = nullptr);

  // The destructor stops and joins the thread (within about 200 ms).
  ~VmForkWatcher();
  VmForkWatcher(const VmForkWatcher&) = delete;
  VmForkWatcher& operator=(const VmForkWatcher&) = delete;

  // events returns how many VM generation changes were handled.
  std::uint64_t events() const { return events_.load(); }

 private:
  VmForkWatcher(UeventListener listener, Drbg& drbg,
                std::function<void(const Result<void>&)> on_event);
  void Loop();

  UeventListener listener_;
  Drbg& drbg_;
  std::function<void(const Result<void>&)> on_event_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> events_{0};
  std::thread thread_;
};

}  // namespace seedwell

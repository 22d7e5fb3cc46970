// VM generation changes: the kernel's NEW_VMGENID uevent, which says this VM was cloned or
// restored from a snapshot, so every random generator state in it may exist twice.
//
// Theory of operation: Linux's vmgenid driver (CONFIG_VMGENID) reseeds the kernel CRNG from the
// new generation id (unique but not secret) and sends a KOBJ_CHANGE uevent carrying NEW_VMGENID=1.
// Kernels are built without a uevent helper, so a process that wants to know listens on a
// NETLINK_KOBJECT_UEVENT socket bound to multicast group 1 (the kernel's own events; udev
// rebroadcasts on group 2 in its "libudev" format, which is not read here). A kernel message is
// "ACTION@DEVPATH\0" followed by "KEY=VALUE\0" pairs. Messages whose netlink sender is not the
// kernel (port 0) are ignored. When the socket's buffer overflowed (ENOBUFS) an event may have been
// lost, so that counts as a generation change: reseeding once too often is harmless.
//
// The uevent exists only from Linux 6.8 on; from 5.18 the kernel logs "random: crng reseeded due
// to virtual machine fork" (once its CRNG is ready). So the listener also follows /dev/kmsg and
// takes that record, from the kernel's own facility only (a process writing to /dev/kmsg gets
// the user facility), as the same event. A kernel that does both may report one change twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "crypto/result.h"

namespace seedwell {

// IsNewVmgenidUevent reports whether |message| is a kernel uevent carrying NEW_VMGENID=1. Any
// bytes are accepted (untrusted input); a libudev-format message is never one.
bool IsNewVmgenidUevent(std::span<const std::uint8_t> message);

// IsVmForkKmsgRecord reports whether |record| (one /dev/kmsg record, "PRI,SEQ,TS,FLAGS;TEXT")
// is the kernel's own "crng reseeded due to virtual machine fork" message.
bool IsVmForkKmsgRecord(std::span<const std::uint8_t> record);

// UeventListener owns a socket delivering kernel uevents. Movable, not copyable; closes it.
class UeventListener {
 public:
  // Open binds a NETLINK_KOBJECT_UEVENT socket to the kernel's group, and follows /dev/kmsg from
  // its end when it can be read. kUnavailable with the system's reason when the socket cannot be
  // made (no netlink in this namespace, a seccomp filter...).
  static Result<UeventListener> Open();

  // FromFd takes ownership of |fd|, a datagram socket carrying messages in the kernel's format
  // (tests: one end of a socketpair). Its sender is not checked.
  static UeventListener FromFd(int fd);

  UeventListener(UeventListener&& other) noexcept;
  UeventListener& operator=(UeventListener&& other) noexcept;
  UeventListener(const UeventListener&) = delete;
  UeventListener& operator=(const UeventListener&) = delete;
  ~UeventListener();

  // WaitForVmgenid waits at most |timeout| for a VM generation change, skipping other uevents.
  // True when one came (or events were lost), false on timeout; kUnavailable on a socket error
  // or when the peer closed it.
  Result<bool> WaitForVmgenid(std::chrono::milliseconds timeout);

 private:
  UeventListener(int fd, bool netlink) : fd_(fd), netlink_(netlink) {}
  // DrainKmsg reads every pending /dev/kmsg record; true when one was a VM fork.
  bool DrainKmsg();
  int fd_ = -1;
  int kmsg_fd_ = -1;
  bool netlink_ = false;
};

}  // namespace seedwell

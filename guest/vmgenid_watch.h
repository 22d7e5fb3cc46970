// RunVmgenidWatch: the guest tool's `--watch-vmgenid` mode, for guests that may be cloned or
// restored from a snapshot.
//
// Theory of operation: a clone (or every restore of one snapshot) starts with the same kernel
// CRNG state as its siblings. The kernel reseeds from the new VM generation id, which is unique
// but not secret, and sends the NEW_VMGENID uevent (crypto/vmgenid_events.h). This mode opens the
// uevent socket first (so no event is missed), runs the normal fetch once, then waits; on each
// event it runs the fetch again with --after-vmgenid semantics: no seed files (every clone has
// the same ones), a fresh block bound to a fresh nonce, verified and credited, then RNDRESEEDCRNG
// so the kernel's output depends on it at once. It says why it fetched.
#pragma once
#include <ostream>

#include "guest/fetch_config.h"

namespace seedwell {

// RunVmgenidWatch runs as above until |flags.watch_max_events| events were handled (never, when
// 0) or the uevent socket fails. Exit code: 1 if the socket cannot be opened or fails, else the
// last run's code. |flags.uevent_fd|, when >= 0, replaces the netlink socket (tests).
int RunVmgenidWatch(const FetchFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace seedwell

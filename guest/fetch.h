// RunFetch: the guest tool end to end (`seedwell fetch`, and the static `seedwell-fetch`).
//
// Steps: find the config drive and resolve the configuration (fetch_config.h); verify the drive's
// seed file against the trusted key and this instance and give it to the kernel; ask the service
// for a fresh block bound to a new random nonce, verify instance, nonce and signature, open it
// when sealed (and refuse an unsealed block when this instance holds a sealing key), and give it
// to the kernel with RNDADDENTROPY (or /dev/urandom when not privileged, saying so). Lines that
// say what happened go to |out|; failures go to |err|. No secret is ever printed.
#pragma once
#include <ostream>

#include "guest/fetch_config.h"

namespace seedwell {

// RunFetch runs the steps above and returns the process exit code: 0 when every step that was
// attempted succeeded, 1 on any failure (bad configuration, unverifiable block or seed file, the
// service unreachable before the deadline, the kernel refusing the bytes).
int RunFetch(const FetchFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace seedwell

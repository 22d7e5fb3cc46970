// UseLazyRandombytes: keeps libsodium's initialisation from waiting for the kernel CRNG.
//
// Theory of operation: sodium_init() stirs its randombytes implementation, which calls
// getrandom(2) and, on a guest whose CRNG is not ready yet, blocks until it is (seconds under
// emulation, until the kernel's jitter entropy completes). The guest tool exists to make the CRNG
// ready: it must verify and credit a firmware or drive seed first, which needs no randomness
// (Ed25519 verification is deterministic). This implementation does nothing at initialisation
// and calls getrandom(2) only when bytes are asked for (the online fetch's nonce, after the seeds
// were credited); it then blocks like the default one would.
#pragma once

namespace seedwell {

// UseLazyRandombytes installs the implementation above; it must run before the first
// sodium_init() (directly or through a SecretBuffer) and is a no-op on later calls.
void UseLazyRandombytes();

}  // namespace seedwell

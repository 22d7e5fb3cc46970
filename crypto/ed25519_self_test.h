// Ed25519 power-on self-test: known answers from RFC 8032 section 7.1, run before serving.
//
// Theory of operation: Ed25519 signing is deterministic, so a fixed secret key and message must
// give exactly the published public key and signature; a wrong build, a miscompiled or a broken
// library shows up here, before any block is signed. Verification is also checked in both
// directions: the published signature verifies, and the same signature with one bit flipped does
// not.
#pragma once

#include "crypto/result.h"

namespace seedwell {

// Ed25519KnownAnswerTest runs the RFC 8032 section 7.1 vectors (TEST 1, 2, 3 and SHA(abc)). It
// returns kInternal naming the failing vector; nothing secret is involved.
Result<void> Ed25519KnownAnswerTest();

}  // namespace seedwell

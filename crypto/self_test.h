// Power-on self-tests: known-answer tests run before seedwell serves anything.
//
// Theory of operation
// -------------------
// Each self-test runs a primitive on fixed inputs and compares the result with an answer derived
// elsewhere: the ChaCha20 vectors of RFC 8439 (sections 2.3.2 and 2.4.2, appendices A.1 and A.2),
// run through libsodium's functions exactly as the generator calls them, and a known answer for
// ChachaGenerator (chacha_generator.h) under a fixed key and seed, derived independently with
// Python's `cryptography` package by tests/data/make_chacha_generator_kat.py. The fixed key and
// seed exist only inside self_test.cpp; no production path can select them.
//
// To add a test, write a function returning SelfTestResult and list it in kSelfTests in
// self_test.cpp.
#pragma once

#include <string>
#include <vector>

namespace seedwell {

// SelfTestResult is one self-test's outcome. |detail| says what failed (never secret material:
// self-tests use public fixed inputs only) or summarises what passed.
struct SelfTestResult {
  std::string name;
  bool passed;
  std::string detail;
};

// RunCryptoSelfTests runs every crypto self-test and returns one result each, in a fixed order.
// It never throws on a failed test; the caller decides (seedwell refuses to start).
std::vector<SelfTestResult> RunCryptoSelfTests();

// AllSelfTestsPassed is true when every entry of |results| passed (and there is at least one).
bool AllSelfTestsPassed(const std::vector<SelfTestResult>& results);

}  // namespace seedwell

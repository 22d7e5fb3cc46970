// The offline subcommands of seedwell: selftest, random and keygen. Each returns the process exit
// code and writes its report to the stream it is given; logs go to stderr. Their entropy flags
// (EntropyFlags, AddEntropyFlags) are in cli/entropy_flags.h.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>

#include "cli/entropy_flags.h"

namespace seedwell {

// RunSelftestCommand runs the power-on self-tests, seeds a DRBG from the sources and prints each
// test and each source with its state and measured rate. Returns 1 if any self-test fails or the
// seeding policy cannot be met, else 0.
int RunSelftestCommand(const EntropyFlags& flags, std::ostream& out);

// RunRandomCommand seeds a DRBG and writes |bytes| of its output to |out|. Returns 1 (with a
// message on stderr) if it cannot seed, fails closed or cannot write; else 0.
int RunRandomCommand(const EntropyFlags& flags, std::uint64_t bytes, std::FILE* out);

// RunKeygenCommand prints a new admin token with the hash to configure (--admin-token-hash), or a
// new X25519 sealing key pair in base64 ("sealing-key"). Returns 0.
int RunKeygenCommand(const std::string& kind, std::ostream& out);

}  // namespace seedwell

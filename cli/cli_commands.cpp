#include "cli/cli_commands.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <iomanip>

#include "crypto/encoding.h"
#include "crypto/sealed_box.h"
#include "crypto/self_test.h"
#include "service/credentials.h"
#include "service/entropy_service.h"

namespace seedwell {

int RunSelftestCommand(const EntropyFlags& flags, std::ostream& out) {
  bool ok = true;
  out << "power-on self-tests:\n";
  const auto results = RunCryptoSelfTests();
  for (const auto& r : results) {
    out << "  " << (r.passed ? "PASS " : "FAIL ") << r.name;
    if (!r.passed) out << ": " << r.detail;
    out << "\n";
  }
  ok = AllSelfTestsPassed(results);

  auto entropy = EntropyService::Create(EntropyOptionsFrom(flags), SteadyClock::Instance());
  if (!entropy) {
    out << "entropy sources: " << entropy.error().message << "\n";
    return 1;
  }
  auto seeded = (*entropy)->Seed();
  out << "entropy sources:\n";
  for (const auto& s : (*entropy)->Sources()) {
    out << "  " << std::left << std::setw(10) << s.name << " " << std::setw(9)
        << SourceKindName(s.kind) << " " << std::setw(12) << SourceStateName(s.state)
        << " H=" << s.min_entropy_per_byte << " bits/byte";
    if (s.read_rate_bytes_per_second > 0) {
      out << "  rate=" << std::fixed << std::setprecision(0) << s.read_rate_bytes_per_second
          << " B/s" << std::defaultfloat;
    }
    if (!s.last_failure.empty()) out << "  (" << s.last_failure << ")";
    out << "\n";
  }
  if (seeded) {
    out << "drbg: seeded\n";
  } else {
    out << "drbg: NOT seeded: " << seeded.error().message << "\n";
    ok = false;
  }
  out << (ok ? "selftest: ok\n" : "selftest: FAILED\n");
  return ok ? 0 : 1;
}

int RunRandomCommand(const EntropyFlags& flags, std::uint64_t bytes, std::FILE* out) {
  if (!AllSelfTestsPassed(RunCryptoSelfTests())) {
    spdlog::critical("self-tests failed; run `seedwell selftest` for details");
    return 1;
  }
  auto entropy = EntropyService::Create(EntropyOptionsFrom(flags), SteadyClock::Instance());
  if (!entropy) {
    spdlog::critical("entropy sources: {}", entropy.error().message);
    return 1;
  }
  if (auto seeded = (*entropy)->Seed(); !seeded) {
    spdlog::critical("cannot seed: {} (see `seedwell selftest`)", seeded.error().message);
    return 1;
  }
  std::array<std::uint8_t, std::size_t{64} * 1024> chunk{};
  while (bytes > 0) {
    const std::size_t n = std::min<std::uint64_t>(bytes, chunk.size());
    if (auto generated = (*entropy)->Generate(std::span(chunk.data(), n)); !generated) {
      spdlog::critical("generator refused: {}", generated.error().message);
      return 1;
    }
    if (std::fwrite(chunk.data(), 1, n, out) != n) {
      sodium_memzero(chunk.data(), chunk.size());
      return std::ferror(out) ? 1 : 0;  // a closed pipe (e.g. `| head`) ends the stream
    }
    bytes -= n;
  }
  sodium_memzero(chunk.data(), chunk.size());
  return std::fflush(out) == 0 ? 0 : 1;
}

int RunKeygenCommand(const std::string& kind, std::ostream& out) {
  if (kind == "admin-token") {
    const Token token = Token::Generate(TokenKind::kAdmin);
    out << "token: " << token.Reveal() << "\n"
        << "hash:  " << TokenHashToHex(token.Hash()) << "\n"
        << "Give the token to the orchestrator; start the service with --admin-token-hash HASH.\n";
    return 0;
  }
  if (kind == "vendordata-token") {
    const Token token = Token::Generate(TokenKind::kVendordata);
    out << "token: " << token.Reveal() << "\n"
        << "hash:  " << TokenHashToHex(token.Hash()) << "\n"
        << "Put the token in nova.conf [vendordata_dynamic_auth] token (docs/nova.md); start the "
           "service with --vendordata-token-hash HASH.\n";
    return 0;
  }
  const SealingKeyPair pair = SealingKeyPair::Generate();
  out << "public_key: " << ToBase64(pair.public_key()) << "\n"
      << "secret_key: " << ToBase64(pair.secret_key()) << "\n"
      << "Register public_key as the instance's sealing_public_key; the secret stays in the "
         "guest.\n";
  return 0;
}

}  // namespace seedwell

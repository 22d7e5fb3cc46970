#include "guest/fetch.h"

#include <sodium.h>

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "crypto/block_wire.h"
#include "crypto/encoding.h"
#include "crypto/sealed_box.h"
#include "guest/config_drive_mount.h"
#include "guest/entropy_client.h"
#include "guest/kernel_credit.h"
#include "guest/received_block.h"

namespace seedwell {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kPrefix = "seedwell-fetch: ";
constexpr std::size_t kNonceBytes = 32;
constexpr std::size_t kMaxRequestBytes = block_wire::kMaxDataBytes;

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Deliver opens |block| if sealed and credits its bytes; returns a description or an error.
Result<std::string> Deliver(const ReceivedBlock& block, const FetchConfig& config,
                            const FetchFlags& flags) {
  SecretBuffer opened;
  std::span<const std::uint8_t> bytes = block.data.span();
  if (block.sealed) {
    if (!config.sealing_key) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "block is sealed but no sealing key is configured (--sealing-key-file)");
    }
    auto plain = Open(*config.sealing_key, block.data.span());
    SEEDWELL_RETURN_IF_ERROR(plain);
    opened = std::move(*plain);
    bytes = opened.span();
  }
  std::string reason;
  auto outcome = CreditKernel(bytes, flags.random_device, flags.urandom_device, &reason);
  SEEDWELL_RETURN_IF_ERROR(outcome);
  if (*outcome == CreditOutcome::kCredited) {
    return "credited " + std::to_string(bytes.size()) + " bytes (" +
           std::to_string(bytes.size() * 8) + " bits) via RNDADDENTROPY";
  }
  return "mixed " + std::to_string(bytes.size()) + " bytes into " + flags.urandom_device +
         " WITHOUT entropy credit: " + reason;
}

std::string Describe(const ReceivedBlock& block) {
  return std::to_string(block.sealed ? block.data.size() - kSealOverheadBytes : block.data.size()) +
         " bytes, instance " + block.instance_id + ", key " + block.kid +
         (block.sealed ? ", sealed" : "") +
         (block.batch ? ", batch of " + std::to_string(block.batch->leaf_count) : "");
}

// UseSeedFile verifies and delivers the drive's seed file; true on success.
bool UseSeedFile(const FetchConfig& config, const FetchFlags& flags, std::ostream& out,
                 std::ostream& err) {
  const std::string_view text(reinterpret_cast<const char*>(config.seed_file->data()),
                              config.seed_file->size());
  auto block = BlockFromSeedFile(text);
  Result<void> verified =
      block ? VerifyReceivedBlock(*block, config.instance_id, std::nullopt, config.trusted_keys)
            : Result<void>(tl::unexpected(block.error()));
  if (!verified) {
    err << kPrefix << "seed file on " << config.drive_source
        << " REJECTED: " << verified.error().message << "\n";
    return false;
  }
  out << kPrefix << "seed file verified: " << Describe(*block) << "\n";
  auto delivered = Deliver(*block, config, flags);
  if (!delivered) {
    err << kPrefix << "seed file not delivered: " << delivered.error().message << "\n";
    return false;
  }
  out << kPrefix << "seed file " << *delivered << "\n";
  return true;
}

// UseService fetches, verifies and delivers one fresh block; true on success.
bool UseService(const FetchConfig& config, const FetchFlags& flags, std::ostream& out,
                std::ostream& err) {
  std::array<std::uint8_t, kNonceBytes> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(std::llround(flags.timeout_seconds * 1000));
  int attempts = 0;
  auto block = FetchBlock(
      config, flags.bytes, nonce, deadline,
      [&err](const std::string& line) { err << kPrefix << line << "\n"; }, &attempts);
  if (!block) {
    err << kPrefix << "fetching a block from " << config.service_text << " failed after "
        << attempts << " attempt(s): " << block.error().message << "\n";
    return false;
  }
  auto verified = VerifyReceivedBlock(*block, config.instance_id, nonce, config.trusted_keys);
  if (verified && config.sealing_key && !block->sealed) {
    verified = Fail(ErrorCode::kFailedPrecondition,
                    "block is not sealed although this instance has a sealing key");
  }
  const std::size_t plain_size =
      block->sealed ? block->data.size() - std::min(block->data.size(), kSealOverheadBytes)
                    : block->data.size();
  if (verified && plain_size != flags.bytes) {
    verified =
        Fail(ErrorCode::kInvalidArgument, "block holds " + std::to_string(plain_size) + " bytes, " +
                                              std::to_string(flags.bytes) + " were asked for");
  }
  if (!verified) {
    err << kPrefix << "block from " << config.service_text
        << " REJECTED: " << verified.error().message << "\n";
    return false;
  }
  out << kPrefix << "block verified: " << Describe(*block) << ", fresh nonce, from "
      << config.service_text << "\n";
  auto delivered = Deliver(*block, config, flags);
  if (!delivered) {
    err << kPrefix << "block not delivered: " << delivered.error().message << "\n";
    return false;
  }
  out << kPrefix << "block " << *delivered << "\n";
  return true;
}

}  // namespace

int RunFetch(const FetchFlags& flags, std::ostream& out, std::ostream& err) {
  const auto start = Clock::now();
  if (flags.bytes == 0 || flags.bytes > kMaxRequestBytes) {
    err << kPrefix << "--bytes must be from 1 to " << kMaxRequestBytes << "\n";
    return 1;
  }
  if (!(flags.timeout_seconds > 0 && flags.timeout_seconds <= 3600)) {
    err << kPrefix << "--timeout must be more than 0 and at most 3600 seconds\n";
    return 1;
  }
  if (sodium_init() < 0) {
    err << kPrefix << "libsodium failed to initialise\n";
    return 1;
  }
  std::optional<ConfigDriveMount> drive;
  if (!flags.no_config_drive) {
    auto mounted = ConfigDriveMount::Open(flags.config_drive);
    if (!mounted) {
      err << kPrefix << mounted.error().message << "\n";
      return 1;
    }
    drive.emplace(std::move(*mounted));
  }
  const std::optional<std::filesystem::path> none;
  auto config =
      ResolveFetchConfig(flags, drive ? drive->dir() : none, drive ? drive->source() : "");
  if (!config) {
    err << kPrefix << config.error().message << "\n";
    return 1;
  }
  bool ok = true;
  if (config->seed_file) {
    ok = UseSeedFile(*config, flags, out, err) && ok;
  } else if (drive && drive->dir() && !flags.skip_seed_file) {
    out << kPrefix << "no seed file on " << drive->source() << "\n";
  }
  if (config->service) ok = UseService(*config, flags, out, err) && ok;
  out << kPrefix << (ok ? "done" : "FAILED") << " in " << MillisSince(start) << " ms\n";
  return ok ? 0 : 1;
}

}  // namespace seedwell

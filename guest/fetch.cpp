#include "guest/fetch.h"

#include <sodium.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

#include "crypto/block_wire.h"
#include "crypto/encoding.h"
#include "crypto/sealed_box.h"
#include "guest/config_drive_mount.h"
#include "guest/entropy_client.h"
#include "guest/firmware_seed.h"
#include "guest/kernel_credit.h"
#include "guest/lazy_randombytes.h"
#include "guest/received_block.h"
#include "guest/vmgenid_watch.h"

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

// UseFirmwareSeed verifies and delivers the seed the hypervisor passed through firmware (SMBIOS,
// fw_cfg or a systemd credential) exactly like the drive's seed file; true on success.
bool UseFirmwareSeed(const ReceivedBlock& block, const std::string& source,
                     const FetchConfig& config, const FetchFlags& flags, std::ostream& out,
                     std::ostream& err) {
  auto verified = VerifyReceivedBlock(block, config.instance_id, std::nullopt, config.trusted_keys);
  if (!verified) {
    err << kPrefix << "firmware seed from " << source << " REJECTED: " << verified.error().message
        << "\n";
    return false;
  }
  out << kPrefix << "firmware seed verified: " << Describe(block) << ", from " << source << "\n";
  auto delivered = Deliver(block, config, flags);
  if (!delivered) {
    err << kPrefix << "firmware seed not delivered: " << delivered.error().message << "\n";
    return false;
  }
  out << kPrefix << "firmware seed " << *delivered << "\n";
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

// FoundFirmwareSeed is a parsed firmware seed and where it came from.
struct FoundFirmwareSeed {
  ReceivedBlock block;
  std::string source;
};

// LoadFirmwareSeed finds and parses the firmware seed (--firmware-seed, --credential-name).
Result<std::optional<FoundFirmwareSeed>> LoadFirmwareSeed(const FetchFlags& flags) {
  auto source = ParseFirmwareSeedSource(flags.firmware_seed);
  SEEDWELL_RETURN_IF_ERROR(source);
  FirmwarePaths paths;
  paths.sysfs = flags.sysfs;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY")) paths.credentials_dir = dir;
  auto found = FindFirmwareSeed(paths, *source, flags.credential_name);
  SEEDWELL_RETURN_IF_ERROR(found);
  if (!*found) return std::optional<FoundFirmwareSeed>();
  const std::string_view text(reinterpret_cast<const char*>((*found)->text.data()),
                              (*found)->text.size());
  auto block = BlockFromSeedFile(text);
  if (!block) {
    return Fail(block.error().code,
                "firmware seed from " + (*found)->source + ": " + block.error().message);
  }
  return std::optional<FoundFirmwareSeed>(
      FoundFirmwareSeed{std::move(*block), std::move((*found)->source)});
}

}  // namespace

int RunFetch(const FetchFlags& flags, std::ostream& out, std::ostream& err) {
  // Before anything initialises libsodium: the seeds must reach the kernel before anything waits
  // for its CRNG.
  UseLazyRandombytes();
  if (flags.watch_vmgenid) return RunVmgenidWatch(flags, out, err);
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
  bool ok = true;
  // The firmware seed and the drive's seed file are the same in every clone of a VM: a run for a
  // VM generation change uses only a fresh block.
  std::optional<FoundFirmwareSeed> firmware;
  if (!flags.after_vmgenid) {
    auto loaded = LoadFirmwareSeed(flags);
    if (!loaded) {
      err << kPrefix << loaded.error().message << "\n";
      ok = false;
    } else {
      firmware = std::move(*loaded);
    }
  }
  std::optional<FirmwareClaims> claims;
  if (firmware) {
    claims = FirmwareClaims{firmware->block.instance_id, firmware->block.claimed_public_key,
                            firmware->block.kid};
  }
  FetchFlags effective = flags;
  if (flags.after_vmgenid) effective.skip_seed_file = true;
  const std::optional<std::filesystem::path> none;
  const bool have_drive = drive && drive->dir();
  auto config = ResolveFetchConfig(effective, have_drive ? drive->dir() : none,
                                   have_drive ? drive->source() : "", claims ? &*claims : nullptr);
  if (!config) {
    err << kPrefix << config.error().message << "\n";
    return 1;
  }
  if (flags.after_vmgenid) {
    out << kPrefix << "fetching because the VM generation id changed (NEW_VMGENID: this VM was "
        << "cloned or restored from a snapshot)\n";
  }
  if (firmware) {
    if (!have_drive && flags.public_keys.empty()) {
      out << kPrefix << "no config drive and no --public-key: trusting the key the firmware "
          << "credential names (the hypervisor wrote it, as it writes a config drive)\n";
    }
    ok = UseFirmwareSeed(firmware->block, firmware->source, *config, flags, out, err) && ok;
  }
  if (config->seed_file) {
    ok = UseSeedFile(*config, flags, out, err) && ok;
  } else if (have_drive && !effective.skip_seed_file) {
    out << kPrefix << "no seed file on " << drive->source() << "\n";
  }
  if (config->service) {
    ok = UseService(*config, flags, out, err) && ok;
  } else if (!flags.offline) {
    out << kPrefix << "no service URL (no config drive, no --url): firmware seed only\n";
  }
  if (flags.after_vmgenid) {
    auto reseeded = ReseedKernelCrng(flags.random_device);
    if (reseeded) {
      out << kPrefix << "kernel CRNG reseeded (RNDRESEEDCRNG)\n";
    } else {
      err << kPrefix << "RNDRESEEDCRNG failed: " << reseeded.error().message << "\n";
      ok = false;
    }
  }
  out << kPrefix << (ok ? "done" : "FAILED") << " in " << MillisSince(start) << " ms\n";
  return ok ? 0 : 1;
}

}  // namespace seedwell

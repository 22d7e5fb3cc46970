#include "cli/entropy_flags.h"

#include <algorithm>

namespace seedwell {

void AddEntropyFlags(CLI::App& command, EntropyFlags& flags) {
  command.add_option("--sources", flags.sources, "Entropy sources: rdseed, rdrand, hwrng, kernel")
      ->delimiter(',')
      ->check(CLI::IsMember({"rdseed", "rdrand", "hwrng", "kernel"}))
      ->capture_default_str();
  command.add_option("--hwrng-path", flags.hwrng_path, "Hardware RNG device")
      ->capture_default_str();
  command.add_flag("--allow-kernel-only", flags.allow_kernel_only,
                   "Allow seeding from the kernel alone when no hardware source is healthy");
}

bool SourceListed(const std::vector<std::string>& sources, std::string_view name) {
  return std::find(sources.begin(), sources.end(), name) != sources.end();
}

EntropyOptions EntropyOptionsFrom(const EntropyFlags& flags) {
  EntropyOptions o;
  o.sources.rdseed = SourceListed(flags.sources, "rdseed");
  o.sources.rdrand = SourceListed(flags.sources, "rdrand");
  o.sources.hwrng = SourceListed(flags.sources, "hwrng");
  o.sources.kernel = SourceListed(flags.sources, "kernel");
  o.sources.hwrng_path = flags.hwrng_path;
  o.policy.allow_kernel_only = flags.allow_kernel_only;
  return o;
}

}  // namespace seedwell

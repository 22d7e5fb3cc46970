// EntropyFlags: the entropy-source settings every command shares (--sources, --hwrng-path,
// --allow-kernel-only), and the one mapping from them to the entropy layer's EntropyOptions, used
// by `seedwell serve` and by the offline commands (selftest, random, config-drive).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "service/entropy_service.h"

namespace seedwell {

// EntropyFlags selects the entropy sources; the defaults match `seedwell serve`'s.
struct EntropyFlags {
  std::vector<std::string> sources = {"rdseed", "rdrand", "hwrng", "kernel"};
  std::string hwrng_path = "/dev/hwrng";
  bool allow_kernel_only = false;
};

// AddEntropyFlags registers --sources, --hwrng-path and --allow-kernel-only on |command| (the
// offline commands; serve registers its own with environment variables). |flags| must outlive
// parsing.
void AddEntropyFlags(CLI::App& command, EntropyFlags& flags);

// SourceListed reports whether |name| is one of |sources| (a --sources or --require-sources list).
bool SourceListed(const std::vector<std::string>& sources, std::string_view name);

// EntropyOptionsFrom maps |flags| to EntropyOptions: a source is enabled exactly when its name is
// in |flags.sources|. Every other option (required sources, upstream EGD, DRBG reseeding) keeps
// its default for the caller to set. It never fails; unknown names are ignored.
EntropyOptions EntropyOptionsFrom(const EntropyFlags& flags);

}  // namespace seedwell

// `seedwell config-drive`: builds an instance's config drive offline, against the same state
// directory (database and signing keys) as `seedwell serve`, and writes it atomically to --out as
// an ISO 9660 image or a directory tree.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <ostream>
#include <string>

#include "cli/entropy_flags.h"

namespace seedwell {

// ConfigDriveFlags are the command's settings (see AddConfigDriveOptions for their meaning).
struct ConfigDriveFlags {
  std::string instance;
  std::string out;
  std::string format = "iso";
  std::string user_data_file;
  std::string vendor_data_file;
  std::string network_data_file;
  std::string state_dir = "/var/lib/seedwell";
  std::string database;  // default: STATE/seedwell.db
  std::string service_url = "http://169.254.169.254";
  std::size_t seed_bytes = 4096;
  bool embed_token = false;
  bool issue_sealing_key = false;
  EntropyFlags entropy;
};

// AddConfigDriveOptions registers the command's flags on |command|. |flags| must outlive parsing.
void AddConfigDriveOptions(CLI::App& command, ConfigDriveFlags& flags);

// RunConfigDriveCommand builds and writes the drive and prints one summary line to |out|. Returns
// 0 on success; 1 with a message on stderr for any error (unknown or revoked instance, bad input,
// missing state, unwritable or full target), in which case nothing is left at --out.
int RunConfigDriveCommand(const ConfigDriveFlags& flags, std::ostream& out);

}  // namespace seedwell

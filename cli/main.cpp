// seedwell: the entropy service's command-line entry point.
//
//   seedwell serve      run the service (guest and admin listeners)
//   seedwell selftest   run the power-on self-tests and report every entropy source
//   seedwell random     write DRBG output to stdout
//   seedwell config-drive  build an instance's config drive (ISO 9660 or a directory) offline
//   seedwell keygen     make an admin token (and its hash) or an instance sealing key pair
//   seedwell fetch      (in a guest) fetch, verify and credit a block; also built as seedwell-fetch
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "api/routes/app_context.h"
#include "cli/cli_commands.h"
#include "cli/config_drive_command.h"
#include "cli/serve.h"
#include "cli/serve_config.h"
#include "guest/fetch.h"
#include "guest/fetch_cli.h"
#include "seedwell/version.h"

int main(int argc, char** argv) {
  // Logs go to stderr, so `seedwell random` can write to stdout.
  spdlog::set_default_logger(spdlog::stderr_color_mt("seedwell"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);

  CLI::App app{"seedwell: authenticated entropy for virtual machines"};
  app.set_version_flag("--version", std::string("seedwell ") + seedwell::kVersion);
  app.require_subcommand(1);

  seedwell::ServeConfig serve_config;
  CLI::App* serve = app.add_subcommand("serve", "Run the service: guest and admin listeners");
  seedwell::AddServeOptions(*serve, serve_config);

  seedwell::EntropyFlags selftest_flags;
  CLI::App* selftest = app.add_subcommand(
      "selftest", "Run the power-on self-tests and report each entropy source; exit 1 on failure");
  seedwell::AddEntropyFlags(*selftest, selftest_flags);

  seedwell::EntropyFlags random_flags;
  std::uint64_t random_bytes = 0;
  CLI::App* random = app.add_subcommand("random", "Write N bytes of DRBG output to stdout");
  random->add_option("--bytes,-n", random_bytes, "How many bytes to write")->required();
  seedwell::AddEntropyFlags(*random, random_flags);

  std::string keygen_kind;
  CLI::App* keygen = app.add_subcommand(
      "keygen",
      "Print a new admin or vendordata token and its hash, or an X25519 sealing key pair");
  keygen->add_option("kind", keygen_kind, "admin-token, vendordata-token or sealing-key")
      ->required()
      ->check(CLI::IsMember({"admin-token", "vendordata-token", "sealing-key"}));

  seedwell::ConfigDriveFlags drive_flags;
  CLI::App* drive = app.add_subcommand(
      "config-drive", "Build an instance's config drive (ISO 9660 config-2 or a directory)");
  seedwell::AddConfigDriveOptions(*drive, drive_flags);

  seedwell::FetchFlags fetch_flags;
  CLI::App* fetch = app.add_subcommand(
      "fetch",
      "In a guest: fetch, verify and credit a block from the service and the config "
      "drive's seed file (the same as the static seedwell-fetch)");
  seedwell::AddFetchOptions(*fetch, fetch_flags);

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) {
    spdlog::set_level(spdlog::level::from_str(serve_config.log_level));
    return seedwell::RunServe(serve_config);
  }
  if (selftest->parsed()) return seedwell::RunSelftestCommand(selftest_flags, std::cout);
  if (random->parsed()) return seedwell::RunRandomCommand(random_flags, random_bytes, stdout);
  if (drive->parsed()) return seedwell::RunConfigDriveCommand(drive_flags, std::cout);
  if (keygen->parsed()) return seedwell::RunKeygenCommand(keygen_kind, std::cout);
  if (fetch->parsed()) return seedwell::RunFetch(fetch_flags, std::cout, std::cerr);
  return 2;
}

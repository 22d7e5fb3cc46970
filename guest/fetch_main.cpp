// seedwell-fetch: the guest tool as its own small, statically linked program, for initramfs
// images and minimal guests. Same flags and behaviour as `seedwell fetch` (guest/fetch.h).
#include <CLI/CLI.hpp>
#include <iostream>

#include "guest/fetch.h"
#include "guest/fetch_cli.h"
#include "seedwell/version.h"

int main(int argc, char** argv) {
  CLI::App app{
      "seedwell-fetch: fetch, verify and credit an authenticated entropy block from seedwell at "
      "boot (and the config drive's seed file)"};
  app.set_version_flag("--version", std::string("seedwell-fetch ") + seedwell::kVersion);
  seedwell::FetchFlags flags;
  seedwell::AddFetchOptions(app, flags);
  CLI11_PARSE(app, argc, argv);
  return seedwell::RunFetch(flags, std::cout, std::cerr);
}

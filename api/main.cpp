// seedwell: the entropy service's command-line entry point.
#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"seedwell: authenticated entropy for virtual machines"};
  app.set_version_flag("--version", "seedwell 0.1.0");
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

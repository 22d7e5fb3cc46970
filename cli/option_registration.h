// How a setting of `seedwell serve` is registered, shared by serve_config, guest_config and
// egd_config: each setting is a flag --NAME, an environment variable SEEDWELL_<NAME> (see
// EnvironmentName) and a config-file key NAME (CLI11 names config keys after the long flag).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace seedwell {

// EnvironmentName returns the environment variable for a flag name ("guest-listen" ->
// "SEEDWELL_GUEST_LISTEN").
std::string EnvironmentName(const std::string& flag_name);

// AddSetting registers the option --|name| on |app|, bound to |value| (borrowed: it must outlive
// parsing), with help text |help|, its environment variable and its default shown in --help. It
// returns the option (owned by |app|) for further checks; CLI11 throws at start-up if |name| is
// already registered.
template <typename T>
CLI::Option* AddSetting(CLI::App& app, const std::string& name, T& value, const std::string& help) {
  return app.add_option("--" + name, value, help)
      ->envname(EnvironmentName(name))
      ->capture_default_str();
}

// AddSettingFlag registers the boolean flag --|name| on |app| like AddSetting, without a default
// in --help.
CLI::Option* AddSettingFlag(CLI::App& app, const std::string& name, bool& value,
                            const std::string& help);

}  // namespace seedwell

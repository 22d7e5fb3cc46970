#include "cli/option_registration.h"

#include <cctype>

namespace seedwell {

std::string EnvironmentName(const std::string& flag_name) {
  std::string env = "SEEDWELL_";
  for (char c : flag_name) {
    env += (c == '-' || c == '.') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

CLI::Option* AddSettingFlag(CLI::App& app, const std::string& name, bool& value,
                            const std::string& help) {
  return app.add_flag("--" + name, value, help)->envname(EnvironmentName(name));
}

}  // namespace seedwell

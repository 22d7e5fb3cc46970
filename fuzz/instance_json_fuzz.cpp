// libFuzzer target: the admin API's JSON body parsers for instances and vendordata
// (service/instance_json.h), which take operator- and Nova-supplied bodies. Property, beyond not
// crashing: an instance that parses serialises to JSON that nlohmann can dump (valid UTF-8 or
// replaced), so a stored instance can always be listed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/instance_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto instance = seedwell::InstanceFromCreateJson(input);
  if (instance) {
    (void)seedwell::InstanceToJson(*instance).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::strict);
  }
  (void)seedwell::InstancePatchFromJson(input);
  (void)seedwell::VendordataFromJson(input);
  return 0;
}

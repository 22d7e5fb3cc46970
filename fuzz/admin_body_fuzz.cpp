// libFuzzer target: every admin JSON body as the admin listener takes it, through ParseJsonBody
// (api/http/json_error.h, the depth-bounded parse) and then each route's body parser: instance
// create and patch, Nova vendordata (service/instance_json.h) and the config-drive request
// (api/routes/config_drive_request.h). Properties, beyond not crashing: an accepted document nests
// at most kMaxJsonDepth levels, and whatever a route keeps (the parsed body, an instance, the
// vendor and network data a drive will carry) can be serialised again, which is where a deep
// document used to overflow the stack.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/http/json_error.h"
#include "api/routes/config_drive_request.h"
#include "crypto/bounded_json.h"
#include "service/instance_json.h"

namespace {

void Dump(const nlohmann::json& doc) {
  (void)doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  httplib::Request req;
  req.set_header("Content-Type", "application/json");
  req.body.assign(reinterpret_cast<const char*>(data), size);
  const auto body = seedwell::ParseJsonBody(req, req.body.size());
  if (body) {
    if (seedwell::JsonDepth(*body) > seedwell::kMaxJsonDepth) std::abort();
    Dump(*body);
    seedwell::ConfigDriveRequest drive;
    std::string service_url;
    if (seedwell::ConfigDriveRequestFromJson(*body, drive, service_url)) {
      if (drive.vendor_data) Dump(*drive.vendor_data);
      if (drive.network_data) Dump(*drive.network_data);
    }
  }
  const std::string_view input(req.body);
  if (auto instance = seedwell::InstanceFromCreateJson(input)) {
    Dump(seedwell::InstanceToJson(*instance));
  }
  (void)seedwell::InstancePatchFromJson(input);
  (void)seedwell::VendordataFromJson(input);
  return 0;
}

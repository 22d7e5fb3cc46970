// The JSON body of POST /v1/instances/{id}/config-drive: what an admin caller may ask of a drive.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "crypto/result.h"
#include "service/config_drive/config_drive_builder.h"

namespace seedwell {

// ConfigDriveRequestFromJson reads the members of |body| (an already depth-bounded document, see
// crypto/bounded_json.h) into |request| and |service_url|. Every member is optional; unknown
// members are refused (a typo must not silently build a drive without what was meant). On failure
// (kInvalidArgument, the message names the member) the outputs may be partly filled.
Result<void> ConfigDriveRequestFromJson(const nlohmann::json& body, ConfigDriveRequest& request,
                                        std::string& service_url);

}  // namespace seedwell

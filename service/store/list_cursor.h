// The opaque list cursor shared by every Store: a page resumes after the id it encodes, so a
// cursor from one back end reads the same on another and stays valid across writes.
#pragma once

#include <string>
#include <string_view>

#include "crypto/result.h"

namespace seedwell {

// EncodeListCursor returns the opaque cursor that resumes after |id|.
std::string EncodeListCursor(std::string_view id);

// DecodeListCursor returns the id a cursor resumes after ("" for an empty cursor), or
// kInvalidArgument for a malformed one.
Result<std::string> DecodeListCursor(std::string_view cursor);

}  // namespace seedwell

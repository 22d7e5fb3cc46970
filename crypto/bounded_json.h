// Bounded JSON parsing: the one way seedwell turns bytes into a JSON document.
//
// nlohmann's parser is iterative, but its serializer (dump) and some of its algorithms recurse
// once per nesting level, so a document nested tens of thousands of levels deep, parsed and later
// dumped (an admin body stored and listed, a config drive's vendor_data), overflows the stack and
// kills the process. Every JSON document seedwell accepts (admin and Nova bodies, config-drive
// bodies and input files, rows read back from the store, key indexes, and what the guest tool
// reads from the service) goes through ParseBoundedJson, which refuses nesting past a fixed depth
// while it parses: the deep part is never built.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/result.h"

namespace seedwell {

// kMaxJsonDepth is the deepest nesting of arrays and objects any accepted document may have: the
// top-level container is depth 1. seedwell's own documents nest at most 4 deep; 64 leaves room for
// operator-supplied vendor and network data while keeping every recursion shallow.
inline constexpr std::size_t kMaxJsonDepth = 64;

// ParseBoundedJson parses |text| as one JSON document. It fails with kInvalidArgument, and a
// message meant for the sender, when |text| is not valid JSON ("not valid JSON") or nests arrays
// and objects deeper than |max_depth| ("nests arrays or objects deeper than N levels"). It never
// throws; the caller owns the returned document.
Result<nlohmann::json> ParseBoundedJson(std::string_view text,
                                        std::size_t max_depth = kMaxJsonDepth);

// JsonDepth returns the nesting depth of |doc| (0 for a scalar, 1 for a flat array or object),
// without recursion, so it is safe on any document whatever its depth.
std::size_t JsonDepth(const nlohmann::json& doc);

}  // namespace seedwell

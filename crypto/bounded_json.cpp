#include "crypto/bounded_json.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace seedwell {

Result<nlohmann::json> ParseBoundedJson(std::string_view text, std::size_t max_depth) {
  bool too_deep = false;
  // The callback sees every event with the number of containers already open. Refusing to keep a
  // container that would open past |max_depth| makes the parser skip its contents (it still
  // consumes them, iteratively), so the document built stays shallow.
  const nlohmann::json::parser_callback_t bound =
      [&too_deep, max_depth](int depth, nlohmann::json::parse_event_t event,
                             nlohmann::json& /*parsed*/) {
        const bool opens = event == nlohmann::json::parse_event_t::object_start ||
                           event == nlohmann::json::parse_event_t::array_start;
        if (opens && static_cast<std::size_t>(depth) >= max_depth) too_deep = true;
        return !too_deep;
      };
  nlohmann::json doc = nlohmann::json::parse(text, bound, /*allow_exceptions=*/false);
  if (too_deep) {
    return Fail(ErrorCode::kInvalidArgument,
                "nests arrays or objects deeper than " + std::to_string(max_depth) + " levels");
  }
  if (doc.is_discarded()) return Fail(ErrorCode::kInvalidArgument, "not valid JSON");
  return doc;
}

std::size_t JsonDepth(const nlohmann::json& doc) {
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> pending{{&doc, 0}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) {
      deepest = std::max(deepest, depth);
      continue;
    }
    deepest = std::max(deepest, depth + 1);
    for (const auto& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

}  // namespace seedwell

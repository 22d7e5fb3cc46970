#include "api/http/media_negotiation.h"

#include <array>
#include <vector>

#include "api/http/http_text.h"

namespace seedwell {
namespace {

// ParseQuality parses a qvalue (RFC 9110 section 12.4.2: 0, 1, or 0.ddd / 1.000) in thousandths;
// nothing if malformed.
std::optional<int> ParseQuality(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int value = (text[0] - '0') * 1000;
  if (text.size() > 1) {
    if (text[1] != '.') return std::nullopt;
    int scale = 100;
    for (std::size_t i = 2; i < text.size(); ++i, scale /= 10) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value += (text[i] - '0') * scale;
    }
  }
  if (value > 1000) return std::nullopt;
  return value;
}

// Range is one parsed element of Accept: "type/subtype" (either may be "*") and its quality.
struct Range {
  std::string_view type;
  std::string_view subtype;
  int quality = 1000;
};

std::optional<Range> ParseRange(std::string_view element) {
  const auto semicolon = element.find(';');
  const std::string_view media = TrimOws(element.substr(0, semicolon));
  const auto slash = media.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == media.size()) {
    return std::nullopt;
  }
  Range range{media.substr(0, slash), media.substr(slash + 1)};
  if (range.type == "*" && range.subtype != "*") return std::nullopt;
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
  while (!params.empty()) {
    const auto next = params.find(';');
    const std::string_view param = TrimOws(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      auto q = ParseQuality(param.substr(2));
      if (!q) return std::nullopt;  // a range with a broken weight is skipped, not trusted
      range.quality = *q;
    }
  }
  return range;
}

// Specificity of |range| for |offer| ("type/subtype", lower case): 3 exact, 2 type/*, 1 */*, 0 no
// match.
int Specificity(const Range& range, std::string_view offer) {
  const auto slash = offer.find('/');
  const std::string_view type = offer.substr(0, slash);
  const std::string_view subtype = offer.substr(slash + 1);
  if (range.type == "*") return 1;
  if (!EqualsIgnoreCase(range.type, type)) return 0;
  if (range.subtype == "*") return 2;
  return EqualsIgnoreCase(range.subtype, subtype) ? 3 : 0;
}

}  // namespace

std::optional<std::size_t> NegotiateMediaType(std::string_view accept,
                                              std::span<const std::string_view> offers) {
  if (offers.empty()) return std::nullopt;
  const std::string_view trimmed = TrimOws(accept);
  if (trimmed.empty() || trimmed == "*/*") return 0;
  // One media type naming an offer exactly: the common case, without parsing ranges.
  for (std::size_t i = 0; i < offers.size(); ++i) {
    if (EqualsIgnoreCase(trimmed, offers[i])) return i;
  }
  std::vector<Range> ranges;
  std::size_t elements = 0;
  while (!accept.empty() && elements < kMaxAcceptElements) {
    const auto comma = accept.find(',');
    const std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    if (TrimOws(element).empty()) continue;
    ++elements;
    if (auto range = ParseRange(element)) ranges.push_back(*range);
  }
  std::optional<std::size_t> best;
  int best_quality = 0;
  for (std::size_t i = 0; i < offers.size(); ++i) {
    int specificity = 0;
    int quality = 0;
    for (const Range& range : ranges) {
      const int s = Specificity(range, offers[i]);
      if (s > specificity) {
        specificity = s;
        quality = range.quality;
      }
    }
    if (specificity > 0 && quality > best_quality) {
      best = i;
      best_quality = quality;
    }
  }
  return best;
}

}  // namespace seedwell

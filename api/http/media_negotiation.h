// Media type negotiation: choose what to send from an Accept header, as RFC 9110 section 12.5.1
// describes. Media ranges match case-insensitively (type/subtype, type/*, */*), the most specific
// matching range sets an offer's quality, q=0 means "not acceptable", and among the offers with
// the highest quality the server's order of preference decides. Parameters other than q on a
// range are ignored (no offer here has parameters). Malformed elements are skipped, never fatal.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace seedwell {

// kMaxAcceptElements bounds the work one Accept header can cause: elements past it are ignored.
inline constexpr std::size_t kMaxAcceptElements = 32;

// NegotiateMediaType returns the index in |offers| (lower-case "type/subtype" strings, most
// preferred first) of the offer to send for |accept|, or nothing when every offer is refused (406).
// An empty or absent Accept header accepts anything: the first offer.
std::optional<std::size_t> NegotiateMediaType(std::string_view accept,
                                              std::span<const std::string_view> offers);

}  // namespace seedwell

// EntropyClient: asks the service for one block (`GET /v1/entropy`, application/octet-stream),
// retrying while the guest's network or the service is not ready yet.
//
// Theory of operation: at boot the tool often runs before the network is fully up, or while the
// service is briefly overloaded, so transient failures (cannot connect, timeouts, 429, 5xx) are
// retried with back-off (250 ms doubling to 2 s, or the server's Retry-After) until the deadline.
// Answers that retrying cannot change (400, 401, 403, 404, 422, a malformed block) fail at once,
// carrying the service's JSON error message. The block is returned unverified: the caller checks it
// with VerifyReceivedBlock.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "crypto/result.h"
#include "guest/fetch_config.h"
#include "guest/received_block.h"

namespace seedwell {

// FetchLog receives one line per retry, for the operator.
using FetchLog = std::function<void(const std::string&)>;

// FetchBlock requests |bytes| bytes bound to |nonce| from |config.service| with |config.token|
// (when set) until |deadline|. It fails with the last transient error (kUnavailable) when the
// deadline passes, kUnauthenticated / kPermissionDenied / kNotFound / kInvalidArgument /
// kFailedPrecondition for the service's definitive refusals, and kInvalidArgument for a reply
// that is not a block. |attempts| (optional) receives the number of requests made.
Result<ReceivedBlock> FetchBlock(const FetchConfig& config, std::size_t bytes,
                                 std::span<const std::uint8_t> nonce,
                                 std::chrono::steady_clock::time_point deadline,
                                 const FetchLog& log, int* attempts);

}  // namespace seedwell

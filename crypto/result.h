// Result<T>: the value-or-error type every layer returns on the request path.
//
// Errors carry a canonical code (after Abseil's status codes) and a message that is safe to show a
// client: it never contains a secret. Exceptions are reserved for fatal start-up errors.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace seedwell {

// ErrorCode is the small, stable set of failure kinds; transports map them to HTTP statuses.
enum class ErrorCode {
  kInvalidArgument,     // the caller sent something malformed
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // a create collided with an existing thing
  kPermissionDenied,    // the caller is known but not allowed
  kUnauthenticated,     // the caller could not be identified
  kResourceExhausted,   // a rate limit or size bound was hit
  kFailedPrecondition,  // the system is not in a state to do this (e.g. revoked instance)
  kUnavailable,         // transient: a source or the store is down; retrying may help
  kInternal,            // a bug or an unexpected library failure
};

// ErrorCodeName returns the snake_case machine name of |code|, e.g. "invalid_argument".
std::string_view ErrorCodeName(ErrorCode code);

// Error is a failure: its code and a human-readable message without secrets.
struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Fail builds the unexpected value of a Result<T> from |code| and |message|.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace seedwell

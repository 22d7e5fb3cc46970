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

// Result<T> is a T or an Error. It is tl::expected marked [[nodiscard]], so a dropped error is a
// compile error (-Werror); cast to void where ignoring one is deliberate, and say why.
template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  // A tl::expected from a monadic call (map, and_then) converts back implicitly.
  Result(tl::expected<T, Error> other)  // NOLINT(google-explicit-constructor)
      : tl::expected<T, Error>(std::move(other)) {}
};

// Fail builds the unexpected value of a Result<T> from |code| and |message|.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace seedwell

// SEEDWELL_RETURN_IF_ERROR returns |result|'s error from the enclosing function (which returns a
// Result) when |result|, an already evaluated Result, holds one.
#define SEEDWELL_RETURN_IF_ERROR(result)                    \
  do {                                                      \
    if (!(result)) return tl::unexpected((result).error()); \
  } while (false)

// SEEDWELL_TRY evaluates |expr|, a Result whose value is not needed, and returns its error from
// the enclosing function (which returns a Result) when it holds one.
#define SEEDWELL_TRY(expr)                                           \
  do {                                                               \
    if (auto seedwell_try_result = (expr); !seedwell_try_result)     \
      return tl::unexpected(std::move(seedwell_try_result).error()); \
  } while (false)

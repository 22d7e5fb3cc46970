// JSON error bodies and JSON request/response helpers shared by every HTTP route and by the
// server's own rejections (405, 413, 431, 503...).
//
// Every HTTP error seedwell sends has the body {"error": {"code": "...", "message": "..."}}: a
// stable snake_case machine code (ErrorCodeName() or an HTTP-specific one such as
// "method_not_allowed") and a message safe to show a client (never a secret, never a trace).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "crypto/result.h"

namespace seedwell {

// HttpError is an HTTP-level failure: the status to send, a machine code and a safe message.
struct HttpError {
  int status = 500;
  std::string code;
  std::string message;
};

// HttpStatusFor maps |code| to the HTTP status a transport answers with (e.g. kNotFound -> 404).
int HttpStatusFor(ErrorCode code);

// HttpReason returns the standard reason phrase of |status| ("Not Found"), or "Error" if unknown.
std::string_view HttpReason(int status);

// ToHttpError converts a domain |error| to its HTTP status and machine code.
HttpError ToHttpError(const Error& error);

// JsonErrorBody returns the serialised error document for |code| and |message|. It never throws:
// invalid UTF-8 in |message| is replaced.
std::string JsonErrorBody(std::string_view code, std::string_view message);

// WriteHttpError sets |res|'s status to |error.status| and its body to the JSON error document.
void WriteHttpError(httplib::Response& res, const HttpError& error);

// WriteError writes the domain |error| into |res| with its mapped status.
void WriteError(httplib::Response& res, const Error& error);

// WriteJson sets |res|'s status to |status| and its body to |value| as application/json.
void WriteJson(httplib::Response& res, int status, const nlohmann::json& value);

// ParseJsonBody checks that |req| is declared application/json (else 415), holds at most
// |max_bytes| (else 413) and is well-formed JSON (else 400), and returns the parsed document. It
// never throws.
tl::expected<nlohmann::json, HttpError> ParseJsonBody(const httplib::Request& req,
                                                      std::size_t max_bytes);

}  // namespace seedwell

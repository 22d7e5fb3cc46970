#include "api/http/json_error.h"

#include <utility>

#include "crypto/bounded_json.h"

namespace seedwell {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 422;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view HttpReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

HttpError ToHttpError(const Error& error) {
  return HttpError{HttpStatusFor(error.code), std::string(ErrorCodeName(error.code)),
                   error.message};
}

std::string JsonErrorBody(std::string_view code, std::string_view message) {
  nlohmann::json doc;
  doc["error"]["code"] = code;
  doc["error"]["message"] = message;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteHttpError(httplib::Response& res, const HttpError& error) {
  res.status = error.status;
  res.set_content(JsonErrorBody(error.code, error.message), "application/json");
}

void WriteError(httplib::Response& res, const Error& error) {
  WriteHttpError(res, ToHttpError(error));
}

void WriteJson(httplib::Response& res, int status, const nlohmann::json& value) {
  res.status = status;
  res.set_content(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

tl::expected<nlohmann::json, HttpError> ParseJsonBody(const httplib::Request& req,
                                                      std::size_t max_bytes) {
  const std::string content_type = req.get_header_value("Content-Type");
  // Media type only; parameters such as "; charset=utf-8" are allowed.
  const std::string media = content_type.substr(0, content_type.find(';'));
  std::string trimmed;
  for (const char c : media) {
    if (c != ' ' && c != '\t') trimmed.push_back(static_cast<char>(std::tolower(c)));
  }
  if (trimmed != "application/json") {
    return tl::unexpected(
        HttpError{415, "unsupported_media_type", "Content-Type must be application/json"});
  }
  if (req.body.size() > max_bytes) {
    return tl::unexpected(HttpError{413, "payload_too_large", "request body is too large"});
  }
  auto doc = ParseBoundedJson(req.body);
  if (!doc) {
    return tl::unexpected(
        HttpError{400, "invalid_argument", "request body " + doc.error().message});
  }
  return std::move(*doc);
}

}  // namespace seedwell

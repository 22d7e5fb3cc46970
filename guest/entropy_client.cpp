#include "guest/entropy_client.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/bounded_json.h"
#include "crypto/encoding.h"

namespace seedwell {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxReplyBytes = std::size_t{256} * 1024;
constexpr milliseconds kFirstBackoff{250};
constexpr milliseconds kMaxBackoff{2000};
constexpr milliseconds kMaxRetryAfter{10000};

// ServiceMessage returns the "error.message" of a JSON error body, or a short excerpt.
std::string ServiceMessage(const HttpReply& reply) {
  const std::string_view body(reinterpret_cast<const char*>(reply.body.data()), reply.body.size());
  const nlohmann::json doc = ParseBoundedJson(body).value_or(nlohmann::json());
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& error = doc["error"];
    std::string out = error.value("code", "");
    const std::string message = error.value("message", "");
    if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
    if (!out.empty()) return out;
  }
  return "(no JSON error body)";
}

ErrorCode CodeForStatus(int status) {
  switch (status) {
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
    case 422:
      return ErrorCode::kFailedPrecondition;
    default:
      return ErrorCode::kInvalidArgument;
  }
}

// RetryAfter returns the server's Retry-After (seconds) as a delay bounded to [kFirstBackoff,
// kMaxRetryAfter], or |fallback| when there is none.
milliseconds RetryAfter(const HttpReply& reply, milliseconds fallback) {
  const std::string_view text = reply.Header("retry-after");
  unsigned seconds = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || r.ec != std::errc{}) return fallback;
  // Never sooner than the first back-off: "Retry-After: 0" must not become a busy loop.
  return std::clamp(milliseconds(seconds * 1000LL), kFirstBackoff, kMaxRetryAfter);
}

}  // namespace

Result<ReceivedBlock> FetchBlock(const FetchConfig& config, std::size_t bytes,
                                 std::span<const std::uint8_t> nonce, Clock::time_point deadline,
                                 const FetchLog& log, int* attempts) {
  const HttpUrl& url = *config.service;
  std::string base = url.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string target =
      base + "/v1/entropy?bytes=" + std::to_string(bytes) + "&nonce=" + ToHex(nonce);

  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", "application/octet-stream"}, {"User-Agent", "seedwell-fetch"}};
  if (!config.token.empty()) {
    // Built in place and moved, so the only copy of the token is the one wiped below.
    std::string value = "Bearer ";
    value.append(reinterpret_cast<const char*>(config.token.data()), config.token.size());
    headers.emplace_back("Authorization", std::move(value));
  }
  milliseconds backoff = kFirstBackoff;
  Result<ReceivedBlock> outcome = Fail(ErrorCode::kUnavailable, "no request was made");
  for (int attempt = 1;; ++attempt) {
    if (attempts != nullptr) *attempts = attempt;
    milliseconds wait = backoff;
    auto reply = HttpGet(url, target, headers, deadline, kMaxReplyBytes);
    if (!reply) {
      outcome = tl::unexpected(reply.error());
    } else if (reply->status == 200) {
      outcome = BlockFromOctetReply(std::move(*reply));
      break;
    } else if (reply->status == 429 || reply->status >= 500) {
      wait = RetryAfter(*reply, backoff);
      outcome = Fail(ErrorCode::kUnavailable, "service answered " + std::to_string(reply->status) +
                                                  ": " + ServiceMessage(*reply));
    } else {
      outcome = Fail(CodeForStatus(reply->status), "service refused the request (" +
                                                       std::to_string(reply->status) +
                                                       "): " + ServiceMessage(*reply));
      break;
    }
    if (Clock::now() + wait >= deadline) break;
    if (log) {
      log("attempt " + std::to_string(attempt) + " failed (" + outcome.error().message +
          "); retrying in " + std::to_string(wait.count()) + " ms");
    }
    std::this_thread::sleep_for(wait);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  for (auto& [name, value] : headers) sodium_memzero(value.data(), value.size());
  return outcome;
}

}  // namespace seedwell

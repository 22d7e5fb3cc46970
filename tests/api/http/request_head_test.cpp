#include "api/http/request_head.h"

#include <gtest/gtest.h>

#include <string>

namespace seedwell {
namespace {

HttpError ErrorOf(const std::string& text, HeadLimits limits = {}) {
  auto parsed = ParseRequestHead(text, limits);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed ? HttpError{} : parsed.error();
}

TEST(RequestHeadTest, ParsesCompleteHead) {
  const std::string text =
      "POST /v1/x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
  auto parsed = ParseRequestHead(text, {});
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(parsed->has_value());
  const RequestHead& head = **parsed;
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.Path(), "/v1/x");
  EXPECT_EQ(head.content_length, 5U);
  EXPECT_EQ(head.head_bytes, text.size() - 5);
  EXPECT_TRUE(head.wants_close);
}

TEST(RequestHeadTest, IncompleteHeadWaits) {
  auto parsed = ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\n", {});
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->has_value());
}

TEST(RequestHeadTest, RefusesFramingDoubts) {
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").status, 411);
  EXPECT_EQ(
      ErrorOf("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").status,
      400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n").status,
            400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").status, 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n").status, 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\nHost: a\n\n").status, 400);                 // bare LF
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n").status, 400);  // obs-fold
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nBad Name: b\r\n\r\n").status, 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n").status, 400);
  EXPECT_EQ(ErrorOf("GET http://x/ HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(ErrorOf("GET  / HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/2.0\r\n\r\n").status, 505);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Encoding: gzip\r\n\r\n").status, 415);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nExpect: magic\r\n\r\n").status, 417);
}

TEST(RequestHeadTest, BoundsHeaderCountLineAndTotal) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 70; ++i) many += "X: y\r\n";
  EXPECT_EQ(ErrorOf(many).status, 431);  // refused before the head even ends
  HeadLimits limits;
  limits.max_line_bytes = 100;
  const HttpError long_line = ErrorOf("GET / HTTP/1.1\r\nX: " + std::string(200, 'a'), limits);
  EXPECT_EQ(long_line.status, 431);
  EXPECT_EQ(long_line.code, "request_header_fields_too_large");
  limits = HeadLimits{};
  limits.max_head_bytes = 50;
  EXPECT_EQ(
      ErrorOf("GET / HTTP/1.1\r\nA: 0123456789\r\nB: 0123456789\r\nC: 0123456789\r\n\r\n", limits)
          .status,
      431);
}

TEST(RequestHeadTest, SanitisedDropsSpoofableAndRangeHeaders) {
  auto parsed = ParseRequestHead(
      "GET /a HTTP/1.1\r\nHost: h\r\nremote_addr: 10.0.0.1\r\nRANGE: bytes=0-1\r\n"
      "If-Range: x\r\nLocal_Port: 1\r\nX-Keep:  v \r\n\r\n",
      {});
  ASSERT_TRUE(parsed.has_value() && parsed->has_value());
  EXPECT_EQ((*parsed)->Sanitised(), "GET /a HTTP/1.1\r\nHost: h\r\nX-Keep: v\r\n\r\n");
}

TEST(RequestHeadTest, HostIsRequiredOnceAndValid) {
  // RFC 9112 section 3.2: HTTP/1.1 needs exactly one valid Host; HTTP/1.0 may omit it.
  const HttpError missing = ErrorOf("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.message, "missing Host header");
  const HttpError twice = ErrorOf("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n");
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(twice.message, "repeated Host header");
  EXPECT_EQ(ErrorOf("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n").status, 400);
  for (const char* bad : {"a b", "a/b", "a@b", "[::1", "[]", "a:80x", "[::1]x", "a:b:c"}) {
    EXPECT_EQ(ErrorOf(std::string("GET / HTTP/1.1\r\nHost: ") + bad + "\r\n\r\n").message,
              "malformed Host header")
        << bad;
  }
  for (const char* good : {"", "a", "169.254.169.254", "h.example:8080", "[::1]:80", "[fe80::1]",
                           "xn--bcher-kva.example", "a:"}) {
    auto parsed = ParseRequestHead(std::string("GET / HTTP/1.1\r\nHost: ") + good + "\r\n\r\n", {});
    EXPECT_TRUE(parsed.has_value() && parsed->has_value()) << good;
  }
  auto http10 = ParseRequestHead("GET / HTTP/1.0\r\n\r\n", {});
  EXPECT_TRUE(http10.has_value() && http10->has_value());
}

TEST(RequestHeadTest, RepeatedAuthorizationIs400) {
  const HttpError twice = ErrorOf(
      "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\nAUTHORIZATION: Bearer y\r\n\r\n");
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(twice.message, "repeated Authorization header");
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n")
                .status,
            411);
}

TEST(RequestHeadTest, Http10ClosesUnlessKeepAlive) {
  auto closes = ParseRequestHead("GET / HTTP/1.0\r\n\r\n", {});
  ASSERT_TRUE(closes.has_value() && closes->has_value());
  EXPECT_TRUE((*closes)->wants_close);
  auto keeps = ParseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", {});
  ASSERT_TRUE(keeps.has_value() && keeps->has_value());
  EXPECT_FALSE((*keeps)->wants_close);
}

}  // namespace
}  // namespace seedwell

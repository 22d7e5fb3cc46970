#include "api/http/json_error.h"

#include <gtest/gtest.h>

#include <string>

namespace seedwell {
namespace {

TEST(JsonErrorTest, MapsEveryErrorCode) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kFailedPrecondition), 422);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500);
}

TEST(JsonErrorTest, WritesErrorDocument) {
  httplib::Response res;
  WriteError(res, Error{ErrorCode::kNotFound, "no instance \"x\""});
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res.body, R"({"error":{"code":"not_found","message":"no instance \"x\""}})");
}

TEST(JsonErrorTest, InvalidUtf8InMessageDoesNotThrow) {
  const std::string body = JsonErrorBody("invalid_argument", std::string("bad \xff byte"));
  EXPECT_NE(body.find("invalid_argument"), std::string::npos);
}

TEST(JsonErrorTest, ParseJsonBodyChecksTypeSizeAndSyntax) {
  httplib::Request req;
  req.body = R"({"a": 1})";
  auto missing_type = ParseJsonBody(req, 100);
  ASSERT_FALSE(missing_type.has_value());
  EXPECT_EQ(missing_type.error().status, 415);

  req.set_header("Content-Type", "Application/JSON; charset=utf-8");
  auto ok = ParseJsonBody(req, 100);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)["a"], 1);

  auto too_big = ParseJsonBody(req, 3);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().status, 413);
  EXPECT_EQ(too_big.error().code, "payload_too_large");

  req.body = R"({"a": )";
  auto malformed = ParseJsonBody(req, 100);
  ASSERT_FALSE(malformed.has_value());
  EXPECT_EQ(malformed.error().status, 400);

  httplib::Response res;
  WriteHttpError(res, malformed.error());
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("\"code\":\"invalid_argument\""), std::string::npos);
}

TEST(JsonErrorTest, ParseJsonBodyRefusesDeepNestingWith400) {
  httplib::Request req;
  req.set_header("Content-Type", "application/json");
  req.body = R"({"vendor_data":)" + std::string(60000, '[') + std::string(60000, ']') + "}";
  auto deep = ParseJsonBody(req, req.body.size());
  ASSERT_FALSE(deep.has_value());
  EXPECT_EQ(deep.error().status, 400);
  EXPECT_EQ(deep.error().code, "invalid_argument");
  EXPECT_EQ(deep.error().message, "request body nests arrays or objects deeper than 64 levels");
}

}  // namespace
}  // namespace seedwell

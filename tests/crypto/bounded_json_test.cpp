#include "crypto/bounded_json.h"

#include <gtest/gtest.h>

#include <string>

namespace seedwell {
namespace {

std::string NestedArrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string NestedObjects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += "{\"k\":";
  out += "1";
  out += std::string(depth, '}');
  return out;
}

TEST(BoundedJsonTest, ParsesOrdinaryDocuments) {
  auto doc = ParseBoundedJson(R"({"a":[1,{"b":"[[[{{"}],"c":null})");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ((*doc)["a"][1]["b"], "[[[{{");  // brackets inside strings do not count
  EXPECT_EQ(JsonDepth(*doc), 3U);
  auto scalar = ParseBoundedJson("42");
  ASSERT_TRUE(scalar);
  EXPECT_EQ(JsonDepth(*scalar), 0U);
}

TEST(BoundedJsonTest, AcceptsExactlyTheBound) {
  for (const std::string& text : {NestedArrays(kMaxJsonDepth), NestedObjects(kMaxJsonDepth)}) {
    auto doc = ParseBoundedJson(text);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(JsonDepth(*doc), kMaxJsonDepth);
    EXPECT_EQ(doc->dump().size(), text.size());
  }
}

TEST(BoundedJsonTest, RefusesOneLevelPastTheBound) {
  for (const std::string& text : {NestedArrays(kMaxJsonDepth + 1), NestedObjects(kMaxJsonDepth + 1),
                                  R"({"a":)" + NestedArrays(kMaxJsonDepth) + "}"}) {
    auto doc = ParseBoundedJson(text);
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(doc.error().message, "nests arrays or objects deeper than 64 levels");
  }
}

TEST(BoundedJsonTest, RefusesSixtyThousandLevelsWithoutCrashing) {
  // The input that killed the process: 60,000 nested arrays (about 117 KB), and the same unclosed.
  auto deep = ParseBoundedJson(R"({"vendor_data":)" + NestedArrays(60000) + "}");
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("deeper than"), std::string::npos);
  auto unclosed = ParseBoundedJson(std::string(60000, '['));
  ASSERT_FALSE(unclosed);
  EXPECT_NE(unclosed.error().message.find("deeper than"), std::string::npos);
}

TEST(BoundedJsonTest, HonoursACallerBound) {
  EXPECT_TRUE(ParseBoundedJson(R"({"a":"b"})", 1));
  EXPECT_FALSE(ParseBoundedJson(R"({"a":{}})", 1));
  EXPECT_FALSE(ParseBoundedJson("[]", 0));
  EXPECT_TRUE(ParseBoundedJson("true", 0));
}

TEST(BoundedJsonTest, ReportsMalformedInput) {
  for (const char* text : {"", "{", "[1,]", "{\"a\" 1}", "nul", "\"\\x\""}) {
    auto doc = ParseBoundedJson(text);
    ASSERT_FALSE(doc) << text;
    EXPECT_EQ(doc.error().message, "not valid JSON") << text;
  }
}

TEST(BoundedJsonTest, JsonDepthHandlesAnyDepthIteratively) {
  nlohmann::json doc = nlohmann::json::array();
  nlohmann::json* tip = &doc;
  for (int i = 0; i < 100000; ++i) {
    tip->push_back(nlohmann::json::array());
    tip = &(*tip)[0];
  }
  EXPECT_EQ(JsonDepth(doc), 100001U);
}

}  // namespace
}  // namespace seedwell

#include "api/routes/metric_labels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "api/routes/serve_metrics.h"
#include "service/metrics.h"

namespace seedwell {
namespace {

TEST(MetricLabelsTest, MethodsMapToAFixedSet) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    EXPECT_EQ(MethodLabel(known), known);
  }
  for (const char* invented : {"get", "FOO", "", "GETX", "PROPFIND", "M-SEARCH"}) {
    EXPECT_EQ(MethodLabel(invented), "other") << invented;
  }
}

TEST(MetricLabelsTest, StatusesOutsideHttpRangeAreOther) {
  EXPECT_EQ(StatusLabel(200), "200");
  EXPECT_EQ(StatusLabel(599), "599");
  EXPECT_EQ(StatusLabel(0), "other");
  EXPECT_EQ(StatusLabel(99), "other");
  EXPECT_EQ(StatusLabel(600), "other");
  EXPECT_EQ(StatusLabel(-1), "other");
}

TEST(MetricLabelsTest, TwoThousandInventedMethodsAddNoSeries) {
  MetricsRegistry registry;
  ServeMetrics metrics(registry);
  metrics.ObserveRequest("guest", RequestRecord{"unmatched", "FOO", 501, {}, "127.0.0.1"});
  const std::string before = registry.Render();
  for (int i = 0; i < 2000; ++i) {
    metrics.ObserveRequest(
        "guest", RequestRecord{"unmatched", "M" + std::to_string(i), 501, {}, "127.0.0.1"});
  }
  const std::string after = registry.Render();
  const auto lines = [](const std::string& text) {
    return std::count(text.begin(), text.end(), '\n');
  };
  EXPECT_EQ(lines(after), lines(before));  // the same series; only their values changed
  EXPECT_NE(after.find(R"(route="unmatched",method="other",status="501"} 2001)"), std::string::npos)
      << after;
  EXPECT_EQ(after.find("M1999"), std::string::npos);
}

}  // namespace
}  // namespace seedwell

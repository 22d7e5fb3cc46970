#include "service/metrics.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace seedwell {
namespace {

TEST(MetricsTest, RendersExactTextForSmallRegistry) {
  MetricsRegistry registry;
  auto& requests = registry.AddCounter("seedwell_http_requests_total", "HTTP requests served.",
                                       {"route", "status"});
  requests.WithLabels({"/v1/entropy", "200"}).Increment();
  requests.WithLabels({"/v1/entropy", "200"}).Increment(2);
  requests.WithLabels({"/a\"b\\c\nd", "404"}).Increment();
  registry.AddGauge("seedwell_ready", "1 when ready.\nSecond line \\ here.").Get().Set(1);
  auto& latency = registry.AddHistogram("seedwell_latency_seconds", "Latency.", {0.005, 0.1, 1});
  latency.Get().Observe(0.001);
  latency.Get().Observe(0.05);
  latency.Get().Observe(7);
  registry.AddCallbackGauge("seedwell_bytes", "Bytes at scrape.", [] { return 0.25; });

  EXPECT_EQ(registry.Render(),
            "# HELP seedwell_bytes Bytes at scrape.\n"
            "# TYPE seedwell_bytes gauge\n"
            "seedwell_bytes 0.25\n"
            "# HELP seedwell_http_requests_total HTTP requests served.\n"
            "# TYPE seedwell_http_requests_total counter\n"
            "seedwell_http_requests_total{route=\"/a\\\"b\\\\c\\nd\",status=\"404\"} 1\n"
            "seedwell_http_requests_total{route=\"/v1/entropy\",status=\"200\"} 3\n"
            "# HELP seedwell_latency_seconds Latency.\n"
            "# TYPE seedwell_latency_seconds histogram\n"
            "seedwell_latency_seconds_bucket{le=\"0.005\"} 1\n"
            "seedwell_latency_seconds_bucket{le=\"0.1\"} 2\n"
            "seedwell_latency_seconds_bucket{le=\"1\"} 2\n"
            "seedwell_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "seedwell_latency_seconds_sum 7.051\n"
            "seedwell_latency_seconds_count 3\n"
            "# HELP seedwell_ready 1 when ready.\\nSecond line \\\\ here.\n"
            "# TYPE seedwell_ready gauge\n"
            "seedwell_ready 1\n");
}

TEST(MetricsTest, HistogramWithLabelsPutsLeLast) {
  MetricsRegistry registry;
  auto& h = registry.AddHistogram("h", "H.", {1}, {"method"});
  h.WithLabels({"GET"}).Observe(1);  // a bound is inclusive
  EXPECT_EQ(registry.Render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{method=\"GET\",le=\"1\"} 1\nh_bucket{method=\"GET\",le=\"+Inf\"} 1\n"
            "h_sum{method=\"GET\"} 1\nh_count{method=\"GET\"} 1\n");
}

TEST(MetricsTest, RejectsBadRegistrations) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.AddCounter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("ok", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h", "x", {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h2", "x", {1}, {"le"}), std::invalid_argument);
  registry.AddCounter("dup", "x");
  EXPECT_THROW(registry.AddGauge("dup", "x"), std::invalid_argument);
  auto& family = registry.AddCounter("labelled", "x", {"a"});
  EXPECT_THROW(family.WithLabels({}), std::invalid_argument);
  EXPECT_THROW(family.WithLabels({"1", "2"}), std::invalid_argument);
}

TEST(MetricsTest, CounterIgnoresNegativeAndGaugeGoesDown) {
  MetricsRegistry registry;
  Counter& c = registry.AddCounter("c", "C.").Get();
  c.Increment(5);
  c.Increment(-3);
  EXPECT_EQ(c.Value(), 5);
  Gauge& g = registry.AddGauge("g", "G.").Get();
  g.Add(2);
  g.Add(-5);
  EXPECT_EQ(g.Value(), -3);
}

TEST(MetricsTest, FamilyCapsChildrenAndCountsTheRestAsOther) {
  MetricsRegistry registry;
  auto& family = registry.AddCounter("c", "C.", {"a", "b"});
  for (std::size_t i = 0; i < kMaxFamilyChildren + 500; ++i) {
    family.WithLabels({"v" + std::to_string(i), "x"}).Increment();
  }
  std::size_t children = 0;
  double other = 0;
  family.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
    ++children;
    if (values == std::vector<std::string>{"other", "other"}) other = c.Value();
  });
  EXPECT_EQ(children, kMaxFamilyChildren + 1);
  EXPECT_EQ(other, 500);
  // Children made before the cap keep their own series.
  family.WithLabels({"v0", "x"}).Increment();
  family.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
    if (values[0] == "v0") {
      EXPECT_EQ(c.Value(), 2);
    }
  });
}

TEST(MetricsTest, CounterAdvanceToNeverGoesDown) {
  Counter c;
  c.AdvanceTo(5);
  EXPECT_EQ(c.Value(), 5);
  c.AdvanceTo(3);  // a stale total read by a slower scrape
  EXPECT_EQ(c.Value(), 5);
  c.Increment(1);
  c.AdvanceTo(6);
  EXPECT_EQ(c.Value(), 6);
  c.AdvanceTo(NAN);
  EXPECT_EQ(c.Value(), 6);
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry registry;
  auto& family = registry.AddCounter("c", "C.", {"t"});
  auto& hist = registry.AddHistogram("h", "H.", {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = family.WithLabels({std::to_string(t % 2)});
      for (int i = 0; i < kPerThread; ++i) {
        mine.Increment();
        hist.Get().Observe(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(family.WithLabels({"0"}).Value() + family.WithLabels({"1"}).Value(),
            kThreads * kPerThread);
  EXPECT_EQ(hist.Get().Count(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(hist.Get().Sum(), kThreads * kPerThread);
}

// Requires the Debian `prometheus` package (/usr/bin/promtool); fails, rather than skips, without.
TEST(MetricsTest, PromtoolAccepts) {
  const std::filesystem::path promtool = "/usr/bin/promtool";
  ASSERT_TRUE(std::filesystem::exists(promtool))
      << "promtool not found at /usr/bin/promtool: install the Debian package `prometheus`";
  MetricsRegistry registry;
  registry.AddCounter("seedwell_requests_total", "Requests.", {"route"})
      .WithLabels({"/v1/\"x\"\n"})
      .Increment(3);
  registry.AddGauge("seedwell_ready", "Ready.").Get().Set(1);
  registry.AddHistogram("seedwell_latency_seconds", "Latency.", {0.01, 0.1}, {"method"})
      .WithLabels({"GET"})
      .Observe(0.02);
  registry.AddCallbackGauge("seedwell_sources_healthy", "Healthy sources.", [] { return 2; });
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("seedwell_metrics_" + std::to_string(::getpid()));
  {
    std::ofstream out(file);
    out << registry.Render();
  }
  const std::string command = promtool.string() + " check metrics < " + file.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) output += buf.data();
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_EQ(status, 0) << output;
}

}  // namespace
}  // namespace seedwell

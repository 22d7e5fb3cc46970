// Metrics: a small thread-safe registry of counters, gauges and histograms with labels, rendered
// in the Prometheus text exposition format 0.0.4.
//
// Theory of operation. A family (one metric name, help text, label names) owns one child per
// distinct tuple of label values. Looking a child up takes a shared lock on the family; updating a
// child is a lock-free atomic, so hot paths look a child up once and keep the reference (children
// live as long as the registry and never move). Callback gauges are read at scrape time. Families
// and children render sorted, so the output is deterministic.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seedwell {

// Counter is a monotonically increasing value.
class Counter {
 public:
  // Increment adds |delta| (which must be non-negative; negative deltas are ignored).
  void Increment(double delta = 1.0);
  // AdvanceTo raises the value to |total| if that is higher, and otherwise leaves it: for a
  // counter that mirrors a cumulative total kept elsewhere (a source's failures), read at scrape
  // time. Concurrent calls are safe, and the value never goes down.
  void AdvanceTo(double total);
  // Value returns the current total.
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Gauge is a value that goes up and down.
class Gauge {
 public:
  // Set replaces the value with |value|.
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  // Add adds |delta| (possibly negative).
  void Add(double delta);
  // Value returns the current value.
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Histogram counts observations into cumulative buckets with fixed upper bounds, plus a sum.
class Histogram {
 public:
  // Histogram uses the sorted, finite upper |bounds|; a +Inf bucket is implicit.
  explicit Histogram(std::vector<double> bounds);
  // Observe records |value|.
  void Observe(double value);
  // Count returns the number of observations; Sum their total.
  std::uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  // BucketCounts returns the cumulative count of each bound, then +Inf.
  std::vector<std::uint64_t> BucketCounts() const;
  const std::vector<double>& Bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0.0};
};

// kMaxFamilyChildren caps the children of one family. Label values are meant to come from fixed
// sets (api/routes/metric_labels.h); if one does not, the cap keeps memory and scrapes bounded.
inline constexpr std::size_t kMaxFamilyChildren = 1000;

// Family is one metric name with its children, one per tuple of label values (at most
// kMaxFamilyChildren; further tuples are counted under labels that are all "other").
template <typename T>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<T>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  // WithLabels returns the child for |values| (one per label name, in order), creating it on first
  // use (once the family is full, the shared "other" child). The reference stays valid for the
  // registry's lifetime. A wrong number of values throws std::invalid_argument: that is a
  // programming error, found by the first test that runs it.
  // The lookup of an existing child allocates nothing (the hot path: once per request).
  T& WithLabels(std::initializer_list<std::string_view> values);
  // Get returns the child of a family without labels.
  T& Get() { return WithLabels({}); }

  const std::vector<std::string>& LabelNames() const { return label_names_; }
  // ForEach calls |fn| with each child's label values and child, sorted by label values.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const;

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mu_;
  // LabelsLess orders label tuples, stored (strings) or looked up (views), lexicographically.
  struct LabelsLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(
          a.begin(), a.end(), b.begin(), b.end(),
          [](std::string_view x, std::string_view y) { return x < y; });
    }
  };
  std::map<std::vector<std::string>, std::unique_ptr<T>, LabelsLess> children_;
};

// MetricsRegistry holds every metric family of a process and renders them for a scrape.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // AddCounter registers a counter family. Names and label names must match the Prometheus
  // grammar and be unused; otherwise it throws std::invalid_argument (registration is start-up).
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  // AddGauge registers a gauge family, with the same rules as AddCounter.
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  // AddHistogram registers a histogram family whose children share the sorted finite |bounds|.
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> bounds,
                                  std::vector<std::string> label_names = {});
  // AddCallbackGauge registers an unlabelled gauge whose value |read| returns at scrape time.
  // |read| must be thread-safe and must not call back into this registry.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> read);

  // Render returns every family in the Prometheus text format 0.0.4, sorted by name.
  std::string Render() const;

 private:
  struct Entry;
  Entry& AddEntry(const std::string& name, const std::string& help, const char* type,
                  const std::vector<std::string>& label_names);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

// kPrometheusContentType is the Content-Type of Render()'s output.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// --- template implementation ---

template <typename T>
T& Family<T>::WithLabels(std::initializer_list<std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: wrong number of label values");
  }
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    // Backstop against a label value that slipped through from untrusted input: past the cap,
    // every new tuple shares one child whose labels are all "other".
    const bool full = children_.size() >= kMaxFamilyChildren;
    it = children_
             .try_emplace(full ? std::vector<std::string>(values.size(), "other")
                               : std::vector<std::string>(values.begin(), values.end()),
                          nullptr)
             .first;
    if (!it->second) it->second = make_();
  }
  return *it->second;
}

template <typename T>
void Family<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, child] : children_) fn(values, *child);
}

}  // namespace seedwell

#include "service/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace seedwell {

namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (allow_colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

// FormatValue writes |v| as Prometheus expects: integers without a fraction, +Inf/-Inf/NaN.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 32> buf{};
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    (void)std::snprintf(buf.data(), buf.size(), "%.0f", v);
  } else {
    (void)std::snprintf(buf.data(), buf.size(), "%.17g", v);
    // Prefer the shortest text that round-trips (0.1 rather than 0.10000000000000001).
    for (int precision = 1; precision < 17; ++precision) {
      std::array<char, 32> shorter{};
      (void)std::snprintf(shorter.data(), shorter.size(), "%.*g", precision, v);
      if (std::strtod(shorter.data(), nullptr) == v) {
        buf = shorter;
        break;
      }
    }
  }
  return buf.data();
}

std::string EscapeHelp(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeLabelValue(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"') {
      out += "\\\"";
    } else {
      out += EscapeHelp(std::string(1, c));
    }
  }
  return out;
}

// LabelSet renders {a="x",b="y"} (empty when there are no labels), with an optional extra pair.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + EscapeLabelValue(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Counter::Increment(double delta) {
  if (!(delta >= 0.0)) return;  // also rejects NaN
  AtomicAdd(value_, delta);
}

void Counter::AdvanceTo(double total) {
  double current = value_.load(std::memory_order_relaxed);
  while (total > current &&
         !value_.compare_exchange_weak(current, total, std::memory_order_relaxed)) {
  }
}

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // first bound >= value
  const auto index = static_cast<std::size_t>(it - bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::uint64_t Histogram::Count() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load();
  return total;
}

std::vector<std::uint64_t> Histogram::BucketCounts() const {
  std::vector<std::uint64_t> cumulative;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    cumulative.push_back(running);
  }
  return cumulative;
}

struct MetricsRegistry::Entry {
  std::string help;
  std::string type;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<double()> callback;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry& MetricsRegistry::AddEntry(const std::string& name, const std::string& help,
                                                  const char* type,
                                                  const std::vector<std::string>& label_names) {
  if (!IsValidName(name, /*allow_colon=*/true)) {
    throw std::invalid_argument("metrics: invalid metric name: " + name);
  }
  for (const auto& label : label_names) {
    if (!IsValidName(label, /*allow_colon=*/false) || label.starts_with("__") || label == "le") {
      throw std::invalid_argument("metrics: invalid label name: " + label);
    }
  }
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(name, nullptr);
  if (!inserted) throw std::invalid_argument("metrics: duplicate metric name: " + name);
  it->second = std::make_unique<Entry>();
  it->second->help = help;
  it->second->type = type;
  return *it->second;
}

Family<Counter>& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                             std::vector<std::string> label_names) {
  Entry& entry = AddEntry(name, help, "counter", label_names);
  entry.counters = std::make_unique<Family<Counter>>(std::move(label_names),
                                                     [] { return std::make_unique<Counter>(); });
  return *entry.counters;
}

Family<Gauge>& MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names) {
  Entry& entry = AddEntry(name, help, "gauge", label_names);
  entry.gauges = std::make_unique<Family<Gauge>>(std::move(label_names),
                                                 [] { return std::make_unique<Gauge>(); });
  return *entry.gauges;
}

Family<Histogram>& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                                 std::vector<double> bounds,
                                                 std::vector<std::string> label_names) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end() ||
      std::any_of(bounds.begin(), bounds.end(), [](double b) { return !std::isfinite(b); })) {
    throw std::invalid_argument("metrics: histogram bounds must be finite and increasing");
  }
  Entry& entry = AddEntry(name, help, "histogram", label_names);
  entry.histograms = std::make_unique<Family<Histogram>>(
      std::move(label_names), [bounds] { return std::make_unique<Histogram>(bounds); });
  return *entry.histograms;
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       std::function<double()> read) {
  Entry& entry = AddEntry(name, help, "gauge", {});
  entry.callback = std::move(read);
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& item : entries_) {
    const std::string& name = item.first;
    const auto& entry = item.second;
    out += "# HELP " + name + " " + EscapeHelp(entry->help) + "\n";
    out += "# TYPE " + name + " " + entry->type + "\n";
    if (entry->counters) {
      const auto& names = entry->counters->LabelNames();
      entry->counters->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
        out += name + LabelSet(names, values) + " " + FormatValue(c.Value()) + "\n";
      });
    } else if (entry->gauges) {
      const auto& names = entry->gauges->LabelNames();
      entry->gauges->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
        out += name + LabelSet(names, values) + " " + FormatValue(g.Value()) + "\n";
      });
    } else if (entry->histograms) {
      const auto& names = entry->histograms->LabelNames();
      entry->histograms->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
        const std::vector<std::uint64_t> counts = h.BucketCounts();
        const auto& bounds = h.Bounds();
        for (std::size_t i = 0; i < counts.size(); ++i) {
          const std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
          out += name + "_bucket" + LabelSet(names, values, "le", le) + " " +
                 std::to_string(counts[i]) + "\n";
        }
        out += name + "_sum" + LabelSet(names, values) + " " + FormatValue(h.Sum()) + "\n";
        out +=
            name + "_count" + LabelSet(names, values) + " " + std::to_string(counts.back()) + "\n";
      });
    } else if (entry->callback) {
      out += name + " " + FormatValue(entry->callback()) + "\n";
    }
  }
  return out;
}

}  // namespace seedwell

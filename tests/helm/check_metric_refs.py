#!/usr/bin/env python3
"""Checks that every metric the chart's alerting rules and Grafana dashboard query exists in a live
/metrics, with the labels and label values the queries use.

Usage: check_metric_refs.py METRICS.txt ALERTS.yaml DASHBOARD.json RULES_OUT.yaml

METRICS.txt is a scrape of a running seedwell that has served traffic on every transport the
queries filter on. RULES_OUT.yaml receives
every dashboard query as a recording rule, so `promtool check rules` can check its syntax.
Prints one line per problem and exits 1 if there is any.
"""
import json
import re
import sys

import yaml

# Labels Prometheus adds from the target (the pod, its namespace, the scrape job), never in /metrics.
TARGET_LABELS = {"namespace", "pod", "job", "instance", "service", "endpoint", "container"}
SELECTOR = re.compile(r"\b(seedwell_[a-z0-9_]+)\s*(\{([^}]*)\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)")


def parse_metrics(text):
    """Returns {series name: {label: set(values)}} and {family: type}."""
    series, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
        if not m:
            continue
        labels = series.setdefault(m.group(1), {})
        for name, _, value in MATCHER.findall(m.group(3) or ""):
            labels.setdefault(name, set()).add(value)
    return series, types


def known_series(types):
    """Every series name a family of these types may have."""
    names = set()
    for family, kind in types.items():
        names.add(family)
        if kind == "histogram":
            names.update(family + s for s in ("_bucket", "_sum", "_count"))
    return names


def queries(alerts, dashboard):
    for group in alerts["groups"]:
        for rule in group["rules"]:
            yield "alert " + rule["alert"], rule["expr"]
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield "panel '%s'" % panel["title"], target["expr"]
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            yield "variable " + var["name"], var["definition"].replace("label_values(", "").split(",")[0]


def main():
    metrics_file, alerts_file, dashboard_file, rules_out = sys.argv[1:5]
    with open(metrics_file) as f:
        series, types = parse_metrics(f.read())
    with open(alerts_file) as f:
        alerts = yaml.safe_load(f)
    with open(dashboard_file) as f:
        dashboard = json.load(f)
    names = known_series(types)
    problems, checked = [], set()

    for where, expr in queries(alerts, dashboard):
        used_labels = set()
        for name, _, body in SELECTOR.findall(expr):
            if name not in names:
                problems.append("%s: metric %s is not in /metrics" % (where, name))
                continue
            checked.add(name)
            have = series.get(name, {})
            used_labels.update(have)
            for label, op, value in MATCHER.findall(body or ""):
                if label in TARGET_LABELS:
                    continue
                if label not in have:
                    problems.append("%s: %s has no label %s (has: %s)"
                                    % (where, name, label, ", ".join(sorted(have)) or "none"))
                elif op == "=" and value not in have[label]:
                    problems.append("%s: %s{%s} is never %r (seen: %s)"
                                    % (where, name, label, value, ", ".join(sorted(have[label]))))
        for group in GROUPING.findall(expr):
            for label in filter(None, (l.strip() for l in group.split(","))):
                if label not in TARGET_LABELS | used_labels | {"le"}:
                    problems.append("%s: groups by %s, which none of its metrics has" % (where, label))

    rules = [{"record": "seedwell:dashboard:%d" % i, "expr": expr}
             for i, (where, expr) in enumerate(queries(alerts, dashboard))
             if where.startswith("panel")]
    with open(rules_out, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)

    for p in problems:
        print("FAIL " + p)
    print("%d metrics checked in %d queries" % (len(checked), len(list(queries(alerts, dashboard)))))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# make bench: builds the Release benchmark programs and runs every benchmark once, side by side.
# Results go to stdout; docs/BENCHMARKS.md records the figures and the commands that made them.
#
#   scripts/run-benchmarks.sh [BUILD_DIR]     (default: build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
scripts/install-deps.sh bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEDWELL_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
for bench in "$build"/*_bench; do
  echo "== $bench"
  "$bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_min_time=0.2
done
echo "== scripts/bench-http.sh"
scripts/bench-http.sh "$build"
echo "== scripts/bench-guest.sh"
scripts/bench-guest.sh "$build/seedwell"
echo "== scripts/bench-fetch.sh"
scripts/bench-fetch.sh "$build/seedwell"

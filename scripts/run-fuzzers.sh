#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from fuzz/corpus/<target>/
# (copied to a temporary directory, so new inputs never land in the repository). Fails on the
# first crash, leak, sanitizer report or timeout and prints the fuzzer's report; the crashing input
# is kept in the temporary directory, whose path is printed.
#   scripts/run-fuzzers.sh [BUILD_DIR] [SECONDS]      (defaults: build-fuzz, 20)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}; seconds=${2:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/seedwell-fuzz.XXXXXX")
for dir in fuzz/corpus/*/; do
  name=$(basename "$dir")
  [ -x "$build/$name" ] || { echo "fuzz: $build/$name is not built"; exit 1; }
  mkdir -p "$work/$name"
  cp "$dir"* "$work/$name/"
  if ! (cd "$work" && "$OLDPWD/$build/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$name" >"$work/$name.log" 2>&1); then
    echo "fuzz: $name FAILED (inputs and log in $work):"; tail -40 "$work/$name.log"; exit 1
  fi
  echo "fuzz: $name: $(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log") inputs in ${seconds} s, no failure"
done
rm -rf "$work"

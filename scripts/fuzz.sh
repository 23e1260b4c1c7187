#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for SECONDS (default 60) from its seed corpus.
# Findings are written to build/fuzz/findings/; any crash fails the script. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
mkdir -p build/fuzz/findings
for target in build/fuzz/fuzz/*_fuzz; do
  name=$(basename "$target" _fuzz)
  seeds="fuzz/corpus/$name"
  work="build/fuzz/corpus/$name"
  mkdir -p "$work" "$seeds"
  echo "fuzzing $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix=build/fuzz/findings/"$name"- -print_final_stats=1 "$work" "$seeds" 2>&1 |
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || true
  # libFuzzer exits non-zero and leaves an artifact on any crash, leak or timeout.
  if ls build/fuzz/findings/"$name"-* >/dev/null 2>&1; then
    echo "fuzz: $name found a failing input:" build/fuzz/findings/"$name"-*
    exit 1
  fi
done

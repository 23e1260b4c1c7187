#!/usr/bin/env bash
# README command 1: installs what is missing, builds Baleen (release), and runs the main job on the default model.
# Until the bundled trained model exists (issue 6), the default model is a tiny DeepSeek-V3-architecture GGUF the
# build generates, and the main job is `baleen inspect` on it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target baleen baleen-tiny-model
model=build/release/models/tiny-deepseek-v3.gguf
mkdir -p "$(dirname "$model")"
[ -f "$model" ] || build/release/tools/baleen-tiny-model --arch deepseek2 --mtp "$model" >/dev/null
build/release/tools/baleen inspect "$model" | head -n 3
# Random weights until the bundled trained model lands: the reply is noise, but it runs the whole engine
# (chat template, MLA, MoE, sampling, streaming) on a DeepSeek-V3-architecture file.
exec build/release/tools/baleen run "$model" -p "${1:-Hello, Baleen}" -n 32 --seed 1

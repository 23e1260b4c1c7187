#!/usr/bin/env bash
# README command 1: installs what is missing, builds Baleen (release), and starts the main job — the
# OpenAI-compatible server with its web chat — on the default model. Ctrl-C stops it.
# Until the bundled trained model exists (issue 6), the default model is a tiny DeepSeek-V3-architecture GGUF the
# build generates (random weights: it answers with noise, but every part of the pipeline runs).
# Extra arguments go to `baleen serve` (e.g. --port 9000, --api-key KEY).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target baleen baleen-tiny-model
model=build/release/models/tiny-deepseek-v3.gguf
mkdir -p "$(dirname "$model")"
[ -f "$model" ] || build/release/tools/baleen-tiny-model --arch deepseek2 --mtp "$model" >/dev/null
exec build/release/tools/baleen serve "$model" "$@"

#!/usr/bin/env bash
# README command 1: installs what is missing, builds Baleen (release), and starts the main job — the
# OpenAI-compatible server with its web chat — on the default model. Ctrl-C stops it.
# The default model is the bundled baleen-tiny-r1 (models/README.md): a DeepSeek-V3-architecture model in miniature,
# trained by the project to do small arithmetic and letter counting with R1-style reasoning.
# Extra arguments go to `baleen serve` (e.g. --port 9000, --api-key KEY).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target baleen
exec build/release/tools/baleen serve "$@"

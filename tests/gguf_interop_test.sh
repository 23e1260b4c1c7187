#!/usr/bin/env bash
# GGUF interop: Baleen's reader and writer against an independent Python implementation written from the spec.
#  1. Python writes a file with every value type; Baleen reads it and writes it back: bytes must be identical.
#  2. Baleen writes tiny models of every architecture; Python parses and re-serializes them: bytes must be identical.
set -euo pipefail
bin_dir="$1"
src_dir="$2"
py=/usr/bin/python3
ref="$src_dir/tools/gguf_reference/gguf_ref.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" "$ref" write-sample "$work/sample.gguf"
"$bin_dir/tests/gguf_roundtrip" "$work/sample.gguf" "$work/sample.baleen.gguf"
cmp "$work/sample.gguf" "$work/sample.baleen.gguf"
echo "python-written sample: Baleen round trip is byte-identical"

"$bin_dir/tools/baleen-tiny-model" --all "$work" > "$work/models.txt"
while read -r model; do
  "$py" "$ref" rewrite "$model" "$work/rewritten.gguf"
  echo "$(basename "$model"): Python re-serialization is byte-identical"
done < "$work/models.txt"

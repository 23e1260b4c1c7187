#!/bin/sh
# Installs the npm packages pinned in DIR/package-lock.json (exact versions, verified against its integrity hashes)
# into DIR/node_modules. Idempotent: returns at once when the installed tree already matches the lockfile.
# Usage: scripts/npm-ci.sh DIR
set -eu
dir=$(cd "$1" && pwd)
marker="$dir/node_modules/.package-lock.json"
if [ -f "$marker" ] && cmp -s "$dir/package-lock.json" "$dir/.installed-lock.json" 2>/dev/null; then
  exit 0
fi
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
cp "$dir/package-lock.json" "$dir/.installed-lock.json"

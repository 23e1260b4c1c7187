#!/bin/sh
# Installs the server tests' two npm packages (the official `openai` SDK and `playwright-core`) at the exact
# versions pinned in package-lock.json, verified against its integrity hashes. Idempotent: returns at once when the
# installed tree already matches the lockfile. playwright-core downloads no browser; the tests use Debian's chromium.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
marker="$dir/node_modules/.package-lock.json"
if [ -f "$marker" ] && cmp -s "$dir/package-lock.json" "$dir/.installed-lock.json" 2>/dev/null; then
  exit 0
fi
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
cp "$dir/package-lock.json" "$dir/.installed-lock.json"

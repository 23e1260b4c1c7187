#!/bin/sh
# Installs the server tests' npm packages (the official `openai` SDK and `playwright-core`) at the versions pinned in
# package-lock.json (scripts/npm-ci.sh: integrity-checked, idempotent). playwright-core downloads no browser; the
# tests use Debian's chromium.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../scripts/npm-ci.sh" "$here"

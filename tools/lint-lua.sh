#!/bin/sh
# Lints the Lua scripts: luacheck over scripts/ with the repository's .luacheckrc (the sandbox's globals).
# Exits non-zero on any warning or error. Run from anywhere; `make lint` and `make test` run it.
set -u
cd "$(dirname "$0")/.." || exit 1
if ! command -v luacheck >/dev/null 2>&1; then
  echo "nrlhost lint: error: luacheck is not installed; run 'sh tools/install-deps.sh' (Debian package lua-check)." >&2
  exit 1
fi
COLOR="--no-color"
if [ -t 1 ]; then COLOR=""; fi
# $COLOR is unquoted on purpose: it is empty or one option.
if ! luacheck --config .luacheckrc --quiet $COLOR scripts/; then
  echo "nrlhost lint: error: luacheck found problems in scripts/ (see above; the config is .luacheckrc)." >&2
  exit 1
fi

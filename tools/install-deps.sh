#!/bin/sh
# Installs what nrlhost needs beyond the Swift toolchain: Lua 5.4 (liblua5.4-dev) and pkg-config, and
# luacheck (lua-check), which the test suite runs over scripts/, and Python 3, which checks the editor
# definitions against the API reference (tools/check_editor_defs.py).
# Does nothing when they are already there; says exactly what to do when it cannot install them.
set -u
NEED_LUA=no
NEED_LUACHECK=no
NEED_PYTHON=no
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists lua5.4; }; then NEED_LUA=yes; fi
if ! command -v luacheck >/dev/null 2>&1; then NEED_LUACHECK=yes; fi
if ! command -v python3 >/dev/null 2>&1; then NEED_PYTHON=yes; fi
if [ "$NEED_LUA" = no ] && [ "$NEED_LUACHECK" = no ] && [ "$NEED_PYTHON" = no ]; then
  exit 0
fi
PACKAGES=""
if [ "$NEED_LUA" = yes ]; then PACKAGES="liblua5.4-dev pkg-config"; fi
if [ "$NEED_LUACHECK" = yes ]; then PACKAGES="${PACKAGES:+$PACKAGES }lua-check"; fi
if [ "$NEED_PYTHON" = yes ]; then PACKAGES="${PACKAGES:+$PACKAGES }python3"; fi
echo "nrlhost setup: installing $PACKAGES with apt-get ..."
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "nrlhost setup: error: cannot install packages here (need apt-get and root or sudo)." >&2
  if [ "$NEED_LUA" = yes ]; then
    echo "  Install Lua 5.4 development files and pkg-config yourself, e.g. 'apt-get install liblua5.4-dev pkg-config'." >&2
  fi
  if [ "$NEED_LUACHECK" = yes ]; then
    echo "  Install luacheck yourself, e.g. 'apt-get install lua-check' or 'luarocks install luacheck'." >&2
  fi
  if [ "$NEED_PYTHON" = yes ]; then
    echo "  Install Python 3 yourself, e.g. 'apt-get install python3'." >&2
  fi
  echo "  Then run this command again." >&2
  exit 1
fi
# $PACKAGES is unquoted on purpose: it is a space-separated list of package names.
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PACKAGES; } >/tmp/nrlhost-apt.log 2>&1; then
  echo "nrlhost setup: error: apt-get could not install $PACKAGES (log: /tmp/nrlhost-apt.log):" >&2
  tail -n 5 /tmp/nrlhost-apt.log >&2
  exit 1
fi
if [ "$NEED_LUA" = yes ] && ! pkg-config --exists lua5.4; then
  echo "nrlhost setup: error: liblua5.4-dev is installed but pkg-config cannot find 'lua5.4'." >&2
  exit 1
fi
if [ "$NEED_LUACHECK" = yes ] && ! command -v luacheck >/dev/null 2>&1; then
  echo "nrlhost setup: error: lua-check is installed but there is no 'luacheck' command on the PATH." >&2
  exit 1
fi
if [ "$NEED_PYTHON" = yes ] && ! command -v python3 >/dev/null 2>&1; then
  echo "nrlhost setup: error: python3 is installed but there is no 'python3' command on the PATH." >&2
  exit 1
fi
echo "nrlhost setup: $PACKAGES installed."

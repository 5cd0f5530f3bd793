#!/bin/sh
# Installs what nrlhost needs beyond the Swift toolchain: Lua 5.4 (liblua5.4-dev) and pkg-config.
# Does nothing when they are already there; says exactly what to do when it cannot install them.
set -u
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists lua5.4; then
  exit 0
fi
echo "nrlhost setup: installing liblua5.4-dev and pkg-config with apt-get ..."
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "nrlhost setup: error: cannot install packages here (need apt-get and root or sudo)." >&2
  echo "  Install Lua 5.4 development files and pkg-config yourself, e.g. 'apt-get install liblua5.4-dev pkg-config'," >&2
  echo "  then run this command again." >&2
  exit 1
fi
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq liblua5.4-dev pkg-config; } >/tmp/nrlhost-apt.log 2>&1; then
  echo "nrlhost setup: error: apt-get could not install liblua5.4-dev (log: /tmp/nrlhost-apt.log):" >&2
  tail -n 5 /tmp/nrlhost-apt.log >&2
  exit 1
fi
if ! pkg-config --exists lua5.4; then
  echo "nrlhost setup: error: liblua5.4-dev is installed but pkg-config cannot find 'lua5.4'." >&2
  exit 1
fi
echo "nrlhost setup: liblua5.4-dev installed."

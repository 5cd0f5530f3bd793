#!/bin/sh
# Installs what nrlhost needs beyond the Swift toolchain: Lua 5.4 (liblua5.4-dev) and pkg-config, and
# luacheck (lua-check), which the test suite runs over scripts/, and Python 3, which checks the editor
# definitions against the API reference (tools/check_editor_defs.py).
# With --test (what `make test` runs), also what the test suite needs: Debian's Slurm (slurmctld, slurmd,
# slurm-client) and munge, for the single-node cluster tools/slurm-test-cluster.sh starts, and GNU parallel.
# Does nothing when they are already there; says exactly what to do when it cannot install them.
set -u
NEED_LUA=no
NEED_LUACHECK=no
NEED_PYTHON=no
NEED_TEST_TOOLS=no
TEST_PACKAGES="slurmctld slurmd slurm-client munge parallel"
if [ "${1:-}" = "--test" ]; then
  for tool in slurmctld slurmd sbatch munged parallel; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then NEED_TEST_TOOLS=yes; fi
  done
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--test]" >&2
  exit 64
fi
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists lua5.4; }; then NEED_LUA=yes; fi
if ! command -v luacheck >/dev/null 2>&1; then NEED_LUACHECK=yes; fi
if ! command -v python3 >/dev/null 2>&1; then NEED_PYTHON=yes; fi
if [ "$NEED_LUA" = no ] && [ "$NEED_LUACHECK" = no ] && [ "$NEED_PYTHON" = no ] && [ "$NEED_TEST_TOOLS" = no ]; then
  exit 0
fi
PACKAGES=""
if [ "$NEED_LUA" = yes ]; then PACKAGES="liblua5.4-dev pkg-config"; fi
if [ "$NEED_LUACHECK" = yes ]; then PACKAGES="${PACKAGES:+$PACKAGES }lua-check"; fi
if [ "$NEED_PYTHON" = yes ]; then PACKAGES="${PACKAGES:+$PACKAGES }python3"; fi
BASE_PACKAGES=$PACKAGES
if [ "$NEED_TEST_TOOLS" = yes ]; then PACKAGES="${PACKAGES:+$PACKAGES }$TEST_PACKAGES"; fi
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
  if [ "$NEED_TEST_TOOLS" = yes ]; then
    echo "  The test suite starts a single-node Slurm cluster (as root): install $TEST_PACKAGES yourself," >&2
    echo "  e.g. 'apt-get install $TEST_PACKAGES'." >&2
  fi
  echo "  Then run this command again." >&2
  exit 1
fi
install_packages() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"; }
# The package lists are unquoted on purpose: space-separated package names. Slurm's recommendations
# (documentation, extra plugins) are not needed by the test cluster and would only slow the install.
if ! { $SUDO apt-get update -qq && { [ -z "$BASE_PACKAGES" ] || install_packages $BASE_PACKAGES; } &&
       { [ "$NEED_TEST_TOOLS" = no ] || install_packages --no-install-recommends $TEST_PACKAGES; }; } >/tmp/nrlhost-apt.log 2>&1; then
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
if [ "$NEED_TEST_TOOLS" = yes ] && ! command -v sbatch >/dev/null 2>&1; then
  echo "nrlhost setup: error: $TEST_PACKAGES are installed but there is no 'sbatch' command on the PATH." >&2
  exit 1
fi
echo "nrlhost setup: $PACKAGES installed."

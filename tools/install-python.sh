#!/bin/sh
# `make python`: the Python side of the Gymnasium/NeuroGym bridge (`--env gym:ID`, `--env neurogym:ID`).
# Creates .venv/ at the repository root (git ignores it) with the exact versions of
# tools/python-requirements.txt (gymnasium 0.29.1, neurogym 2.3.1, numpy 2.2.6 and what they need) from PyPI.
# nrlhost finds .venv/bin/python next to its build (or the interpreter NRLHOST_PYTHON names).
#
# Needs Python 3.11 or later with its venv module: `python3` on the PATH, or the interpreter BOOTSTRAP_PYTHON
# names. When `python3 -m venv` cannot work (Debian ships venv and ensurepip apart, in python3-venv), installs
# Debian's python3-venv with apt-get (as root, or through sudo). About 60 s from nothing (most of it pip
# downloading and unpacking); well under a second when .venv/ already holds these versions.
# Says exactly what to do when it cannot.
set -u
cd "$(dirname "$0")/.." || exit 1
REQUIREMENTS=tools/python-requirements.txt
VENV=.venv
STAMP=$VENV/.nrlhost-requirements
LOG=/tmp/nrlhost-python.log

fail() {
  echo "nrlhost python: error: $1" >&2
  shift
  for line in "$@"; do echo "  $line" >&2; done
  exit 1
}

# Already there: the interpreter runs and the requirements it was made from are today's.
if [ -x "$VENV/bin/python" ] && cmp -s "$REQUIREMENTS" "$STAMP" && "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  exit 0
fi

START=$(date +%s)
PYTHON=${BOOTSTRAP_PYTHON:-python3}
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
can_apt() { [ "$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  echo "nrlhost python: installing $* with apt-get ..."
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"; } >"$LOG" 2>&1; then
    tail -n 5 "$LOG" >&2
    fail "apt-get could not install $* (log: $LOG)." "Install it yourself, then run 'make python' again."
  fi
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  if [ "$PYTHON" = python3 ] && can_apt; then
    apt_install python3 python3-venv
  else
    fail "there is no '$PYTHON' command." \
      "Install Python 3.11 or later with its venv module (Debian/Ubuntu: 'apt-get install python3 python3-venv')," \
      "or name an interpreter: 'make python BOOTSTRAP_PYTHON=/path/to/python3.11'. Then run 'make python' again."
  fi
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  fail "$($PYTHON --version 2>&1) ('$(command -v "$PYTHON")') is older than 3.11, which the pinned packages need." \
    "Install Python 3.11 or later and run 'make python BOOTSTRAP_PYTHON=/path/to/python3.11'."
fi

# Debian and Ubuntu split venv's ensurepip (and so `python3 -m venv`) off into python3-venv.
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  WHERE=$(command -v "$PYTHON")
  case "$WHERE" in
    /usr/bin/*) SYSTEM=yes ;;
    *) SYSTEM=no ;;
  esac
  if [ "$SYSTEM" = yes ] && can_apt; then
    VERSION=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    apt_install "python$VERSION-venv"
  fi
  if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$SYSTEM" = yes ]; then
      fail "'$WHERE -m venv' cannot work: Python's venv/ensurepip modules are missing." \
        "As root: 'apt-get install python3-venv' (Debian/Ubuntu). Then run 'make python' again."
    else
      fail "'$WHERE -m venv' cannot work: Python's venv/ensurepip modules are missing." \
        "Install them with that Python, or name another: 'make python BOOTSTRAP_PYTHON=/usr/bin/python3'."
    fi
  fi
fi

# A .venv/ whose interpreter no longer runs (its Python was removed or moved) is made again.
if [ -e "$VENV" ] && ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  echo "nrlhost python: $VENV/ does not run; making it again."
  rm -rf "$VENV"
fi
if [ ! -e "$VENV" ]; then
  echo "nrlhost python: creating $VENV/ with $("$PYTHON" --version 2>&1) ($(command -v "$PYTHON")) ..."
  if ! "$PYTHON" -m venv "$VENV" >"$LOG" 2>&1; then
    tail -n 5 "$LOG" >&2
    rm -rf "$VENV"
    fail "'$PYTHON -m venv $VENV' failed (log: $LOG)."
  fi
fi

echo "nrlhost python: installing $REQUIREMENTS into $VENV/ with pip (about a minute from nothing) ..."
rm -f "$STAMP"
if ! "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS" >"$LOG" 2>&1; then
  tail -n 8 "$LOG" >&2
  fail "pip could not install $REQUIREMENTS (log: $LOG)." \
    "It downloads from PyPI: check the network (or pip's index settings, e.g. PIP_INDEX_URL), then run 'make python' again."
fi
if ! "$VENV/bin/python" - >"$LOG" 2>&1 <<'EOF'
import gymnasium, neurogym, numpy
want = {"gymnasium": "0.29.1", "neurogym": "2.3.1", "numpy": "2.2.6"}
got = {"gymnasium": gymnasium.__version__, "neurogym": neurogym.__version__, "numpy": numpy.__version__}
assert got == want, f"versions {got}, want {want}"
EOF
then
  tail -n 8 "$LOG" >&2
  fail "$VENV/ was installed but importing gymnasium and neurogym fails (log: $LOG)." \
    "Remove it ('rm -rf $VENV') and run 'make python' again."
fi
cp "$REQUIREMENTS" "$STAMP"
echo "nrlhost python: $VENV/bin/python ready ($(( $(date +%s) - START )) s): gymnasium 0.29.1, neurogym 2.3.1, numpy 2.2.6."

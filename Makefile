# nrlhost: the two commands of the README, and the steps they are made of.
#   make run    installs what is missing, builds, and trains NRL (scripts/nrl.lua) on CartPole
#   make test   installs what is missing (with the test suite's single-node Slurm cluster), lints the Lua
#               scripts and runs the test suite
#   make python creates .venv/ with the pinned gymnasium and neurogym of tools/python-requirements.txt, which
#               the Gymnasium/NeuroGym bridge (--env gym:ID, --env neurogym:ID) runs; make test does it too
#   make lint   luacheck over scripts/ with .luacheckrc (tools/lint-lua.sh), the module layers (tools/check-layers.sh)
#               and the editor definitions against docs/lua-api.md (tools/check_editor_defs.py)
# Extra arguments for the main job: make run ARGS="--seed 7 --out runs/nrl-7"

SWIFT ?= swift
ARGS ?=
MAIN_JOB = run scripts/nrl.lua

.PHONY: run test build lint deps test-deps python

run: build
	@echo "+ .build/release/nrlhost $(MAIN_JOB) $(ARGS)"
	@.build/release/nrlhost $(MAIN_JOB) $(ARGS)

test: test-deps python lint
	$(SWIFT) test -c release --disable-swift-testing

build: deps
	$(SWIFT) build -c release

# luacheck over scripts/: any warning fails (the config, .luacheckrc, lists the sandbox's globals);
# the layers of docs/architecture.md, from the package manifest; and scripts/types/nrlhost.lua (the editor
# definitions) against the At-a-glance table of docs/lua-api.md.
lint: deps
	@sh tools/lint-lua.sh
	@sh tools/check-layers.sh
	@python3 tools/check_editor_defs.py

# The bridge's Python: .venv/ at the repository root with tools/python-requirements.txt (about a minute from
# nothing, nothing to do when it is there). BOOTSTRAP_PYTHON=/path/to/python3 picks the interpreter it is made from.
BOOTSTRAP_PYTHON ?=
python: deps
	@BOOTSTRAP_PYTHON="$(BOOTSTRAP_PYTHON)" sh tools/install-python.sh

# Lua 5.4 headers and library (Debian's liblua5.4-dev), found through pkg-config, and luacheck (lua-check).
deps:
	@sh tools/install-deps.sh

# deps, plus Debian's slurmctld, slurmd, slurm-client and munge (the Slurm cluster SlurmSubmitTests starts)
# and GNU parallel: about 10 s with apt-get.
test-deps:
	@sh tools/install-deps.sh --test

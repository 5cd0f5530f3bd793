# nrlhost: the two commands of the README, and the steps they are made of.
#   make run    installs what is missing, builds, and trains NRL (scripts/nrl.lua) on CartPole
#   make test   installs what is missing, lints the Lua scripts and runs the test suite
#   make lint   luacheck over scripts/ with .luacheckrc (tools/lint-lua.sh), and the module layers (tools/check-layers.sh)
# Extra arguments for the main job: make run ARGS="--seed 7 --out runs/nrl-7"

SWIFT ?= swift
ARGS ?=
MAIN_JOB = run scripts/nrl.lua

.PHONY: run test build lint deps

run: build
	@echo "+ .build/release/nrlhost $(MAIN_JOB) $(ARGS)"
	@.build/release/nrlhost $(MAIN_JOB) $(ARGS)

test: deps lint
	$(SWIFT) test -c release --disable-swift-testing

build: deps
	$(SWIFT) build -c release

# luacheck over scripts/: any warning fails (the config, .luacheckrc, lists the sandbox's globals);
# and the layers of docs/architecture.md, from the package manifest.
lint: deps
	@sh tools/lint-lua.sh
	@sh tools/check-layers.sh

# Lua 5.4 headers and library (Debian's liblua5.4-dev), found through pkg-config, and luacheck (lua-check).
deps:
	@sh tools/install-deps.sh

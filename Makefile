# nrlhost: the two commands of the README, and the steps they are made of.
#   make run    installs what is missing, builds, and trains NRL (scripts/nrl.lua) on CartPole
#   make test   installs what is missing and runs the test suite
# Extra arguments for the main job: make run ARGS="--seed 7 --out runs/nrl-7"

SWIFT ?= swift
ARGS ?=
MAIN_JOB = run scripts/nrl.lua

.PHONY: run test build deps

run: build
	@echo "+ .build/release/nrlhost $(MAIN_JOB) $(ARGS)"
	@.build/release/nrlhost $(MAIN_JOB) $(ARGS)

test: deps
	$(SWIFT) test -c release --disable-swift-testing

build: deps
	$(SWIFT) build -c release

# Lua 5.4 headers and library (Debian's liblua5.4-dev), found through pkg-config.
deps:
	@sh tools/install-deps.sh

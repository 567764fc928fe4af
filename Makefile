# hotline12348 — `make run` starts the whole system, `make test` runs every test.
# Both do their own set-up on a fresh machine (virtual environment, packages, migrations).
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSSTAMP := var/.sysdeps
# Debian packages the tests and the demo use: speech synthesis, audio tools, browser, SIP peers,
# and a CJK font so pages render Chinese in Chromium screenshots.
SYSDEPS := espeak-ng sox libsox-fmt-all chromium chromium-driver sip-tester baresip kamailio fonts-wqy-microhei
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: run test bench chaos fuzz sysdeps services venv clean lint

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

$(SYSSTAMP):
	@mkdir -p var
	@missing=""; for c in espeak-ng sox chromium sipp baresip kamailio fc-list; do command -v $$c >/dev/null || missing=1; done; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing=1; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSDEPS) >/dev/null; \
	  else echo "install as root: apt-get install $(SYSDEPS)"; exit 1; fi; fi
	@touch $(SYSSTAMP)

sysdeps: $(SYSSTAMP)

# PostgreSQL and Redis: start them when this machine has them installed but stopped.
services:
	@bash scripts/services.sh

# The whole system on embedded defaults (SQLite under var/, pbxsim standing in for Asterisk).
run: venv sysdeps
	@mkdir -p var
	$(BIN)/hotline12348 db upgrade
	$(BIN)/hotline12348 ivr prompts build
	$(BIN)/hotline12348 run

test: venv sysdeps services
	$(PYTEST) -q $(PYTEST_ARGS)

bench: venv sysdeps services
	$(BIN)/hotline12348 bench run

chaos: venv sysdeps services
	$(BIN)/hotline12348 bench chaos

fuzz: venv
	HYPOTHESIS_PROFILE=long $(PYTEST) -q -m fuzz tests

clean:
	rm -rf $(VENV) var/.sysdeps

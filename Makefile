# hotline12348 — `make run` starts the whole system, `make test` runs every test.
# Both do their own set-up on a fresh machine (virtual environment, packages, migrations).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSSTAMP := var/.sysdeps
# Debian packages the tests and the demo use: speech synthesis, audio tools, browser, SIP peers.
SYSDEPS := espeak-ng sox libsox-fmt-all chromium chromium-driver sip-tester baresip kamailio

.PHONY: run test bench chaos fuzz sysdeps services venv clean lint

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

$(SYSSTAMP):
	@mkdir -p var
	@missing=""; for c in espeak-ng sox chromium sipp baresip kamailio; do command -v $$c >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSDEPS) >/dev/null; \
	  else echo "install as root: apt-get install $(SYSDEPS)"; exit 1; fi; fi
	@touch $(SYSSTAMP)

sysdeps: $(SYSSTAMP)

# PostgreSQL and Redis: start them when this machine has them installed but stopped.
services:
	@bash scripts/services.sh

run: venv sysdeps
	$(BIN)/hotline12348 db upgrade
	$(BIN)/hotline12348 run

test: venv sysdeps services
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: venv sysdeps services
	$(BIN)/hotline12348 bench run

chaos: venv sysdeps services
	$(BIN)/hotline12348 bench chaos

fuzz: venv
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q -m fuzz tests

clean:
	rm -rf $(VENV) var/.sysdeps

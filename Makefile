# Two commands matter on a fresh machine: `make demo` and `make test`. Each bootstraps what it needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(VENV)/.installed-tools
STAMP := $(VENV)/.installed-dev
CDK := infra/node_modules/.bin/cdk
# make serve: simulated seconds per real second, and the local AWS endpoint's port
SERVE_SPEED ?= 60
SERVE_PORT ?= 4567
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo serve test lint typecheck unit functional infra e2e fuzz synth deploy bench clean venv cdk-cli

demo: $(TOOLS)
	$(BIN)/jada demo --report reports/demo-report.json

# the local cloud kept running for the jada commands of another terminal (JADA_ENDPOINT); Ctrl-C stops
serve: $(TOOLS)
	$(BIN)/jada local serve --speed $(SERVE_SPEED) --port $(SERVE_PORT)

test: $(STAMP) $(CDK) lint typecheck
	$(BIN)/pytest --cov --cov-report=term -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit functional infra e2e fuzz: $(STAMP)
	$(BIN)/pytest tests/$@ -q

# alertEmail has no default: `make synth ALERT_EMAIL=you@yourdomain` (or set it in cdk.json's context)
CDK_EMAIL = $(if $(ALERT_EMAIL),-c alertEmail=$(ALERT_EMAIL))

synth: $(STAMP) $(CDK)
	$(CDK) synth --no-notices --quiet $(CDK_EMAIL)

deploy: $(STAMP) $(CDK)
	$(CDK) deploy --no-notices $(CDK_EMAIL)

bench: $(STAMP)
	for f in tests/benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

venv: $(STAMP)

# demo: the runtime plus the tools (CLI, CDK app, local cloud); test: those plus the dev tools
$(TOOLS): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[tools]'
	touch $(TOOLS)

$(STAMP): $(TOOLS)
	$(BIN)/pip install --quiet -e '.[tools,dev]'
	touch $(STAMP)

$(CDK): infra/package.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $(CDK)

cdk-cli: $(CDK)

clean:
	rm -rf $(VENV) infra/node_modules cdk.out reports .pytest_cache .mypy_cache .ruff_cache

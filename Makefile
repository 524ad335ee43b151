# Two commands matter on a fresh machine: `make demo` and `make test`. Each bootstraps what it needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(VENV)/.installed-tools
STAMP := $(VENV)/.installed-dev
CDK := infra/node_modules/.bin/cdk
# checkov brings its own pins: it lives in its own venv so they never fight the project's
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export CHECKOV := $(CURDIR)/$(CHECKOV_VENV)/bin/checkov
# make serve: simulated seconds per real second, and the local AWS endpoint's port
SERVE_SPEED ?= 60
SERVE_PORT ?= 4567
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo serve test coverage lint typecheck unit functional infra e2e fuzz scan synth deploy bench clean venv cdk-cli

demo: $(TOOLS)
	$(BIN)/jada demo --report reports/demo-report.json

# the local cloud kept running for the jada commands of another terminal (JADA_ENDPOINT); Ctrl-C stops
serve: $(TOOLS)
	$(BIN)/jada local serve --speed $(SERVE_SPEED) --port $(SERVE_PORT)

test: $(STAMP) $(CDK) $(CHECKOV_STAMP) lint typecheck
	$(BIN)/pytest -n auto --dist loadfile -q -p no:cacheprovider

# the suite with line coverage (slower: tracing makes moto's pure-Python work about twice as slow)
coverage: $(STAMP) $(CDK) $(CHECKOV_STAMP)
	$(BIN)/pytest --cov --cov-report=term -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit functional e2e fuzz: $(STAMP)
	$(BIN)/pytest tests/$@ -q

infra: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/pytest tests/infra -q

# cfn-lint and checkov on the synthesized template, with their counts
scan: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/pytest tests/infra/test_scanners.py -q

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

$(CHECKOV_STAMP): infra/checkov-requirements.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r infra/checkov-requirements.txt
	touch $(CHECKOV_STAMP)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) infra/node_modules cdk.out reports .pytest_cache .mypy_cache .ruff_cache

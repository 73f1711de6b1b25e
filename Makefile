# Silta developer tasks. GNU make; works from a fresh clone (needs python3 >= 3.11).
# Every recipe calls the virtualenv's binaries directly, so no activation is needed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PACKAGES := shared/schemas shared/messaging shared/migrations shared/platform shared/protection shared/records shared/harness services/kela-side services/municipality-side
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(PACKAGES))
# Development tools no package depends on; versions come from constraints.txt.
DEV_TOOLS := ruff mypy types-PyYAML pytest pytest-asyncio hypothesis httpx PyYAML schemathesis import-linter kubernetes-validate jsonschema
# Only the directories that exist (ruff fails on missing paths).
LINT_PATHS := $(wildcard shared services tests bench infra tools)

PYTEST_ARGS ?=

ASYNCAPI_TOOLS := tools/asyncapi
ASYNCAPI_STAMP := $(ASYNCAPI_TOOLS)/node_modules/.installed

.PHONY: help install lint typecheck test run bench dev-keys contracts asyncapi-parser clean distclean

help: ## List the targets
	@echo "Usage: make <target>"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the pins, a package's metadata or this file change.
$(STAMP): constraints.txt $(PYPROJECTS) Makefile | $(BIN)/python
	@echo "Installing the packages (editable) and dev tools into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		$(addprefix -e ,$(PACKAGES)) $(DEV_TOOLS)
	@touch $@

install: $(STAMP) ## Create .venv and install all packages (editable) and dev tools

lint: install ## ruff check + ruff format --check + the layering contracts (.importlinter)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports

typecheck: install ## mypy (configuration in pyproject.toml)
	$(BIN)/mypy

# The AsyncAPI parser (npm), as package-lock.json pins it; install scripts are not run.
$(ASYNCAPI_STAMP): $(ASYNCAPI_TOOLS)/package.json $(ASYNCAPI_TOOLS)/package-lock.json
	cd $(ASYNCAPI_TOOLS) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

asyncapi-parser: $(ASYNCAPI_STAMP) ## Install the AsyncAPI parser (npm ci) that checks contracts/asyncapi.yaml

contracts: install asyncapi-parser ## Regenerate the bus contract in contracts/ from the code and validate it
	$(BIN)/python -m silta_messaging.contract contracts
	node $(ASYNCAPI_TOOLS)/validate.mjs contracts/asyncapi.yaml

test: install lint typecheck asyncapi-parser ## install + lint + typecheck + pytest (extra args: PYTEST_ARGS=...)
	$(BIN)/pytest -q $(PYTEST_ARGS)

run: install ## Run both services locally against the local RabbitMQ (Ctrl-C stops)
	bash infra/ensure-rabbitmq.sh
	mkdir -p var
	exec $(BIN)/python infra/run.py

dev-keys: install ## Create development signing and encryption keys and their registry in var/dev-keys (never commit them)
	$(BIN)/python infra/dev_keys.py

bench: install ## Run the benchmark (python -m bench)
	$(BIN)/python -m bench

clean: ## Remove caches and build leftovers (keeps .venv and var/)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist
	find shared services tests infra bench -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
	find shared services -name '*.egg-info' -type d -prune -exec rm -rf {} + 2>/dev/null || true

distclean: clean ## clean + remove .venv and the local databases in var/
	rm -rf $(VENV) var $(ASYNCAPI_TOOLS)/node_modules

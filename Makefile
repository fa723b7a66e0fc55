# One verb per task. The two that matter: `make dev` (run it) and `make test` (test it).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 8080

.PHONY: install dev test lint format bench package db-up db-down db-reset clean stress

# Installs into .venv; when the machine has no PostgreSQL >= 15 server binaries, the pgserver wheel's.
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	if $(BIN)/python -m infra.embedded needs-pgserver; then \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,embedded]'; fi
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

dev: install          ## run the local stack: database, migrations, demo data, every function on $(PORT)
	$(BIN)/fintrack dev --port $(PORT)

test: install lint    ## lint, then the whole test suite against a throwaway embedded database
	$(BIN)/pytest

stress: install       ## the tests marked race, 50 runs in a row on one throwaway database; stops at the first failure
	$(BIN)/python -m infra.stress --runs $(or $(RUNS),50)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy functions shared infra main.py

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install        ## benchmarks; results in bench/results/*.json
	$(BIN)/python -m bench

package:              ## CloudFormation template for serverless.yml, rendered offline by the osls CLI
	npm install --no-save --no-audit --no-fund --prefix .local/osls osls@4.3.1
	SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline \
		.local/osls/node_modules/.bin/osls package --stage dev --region eu-west-3
	@ls .serverless/*.json

db-up: install
	$(BIN)/fintrack db up

db-down: install
	$(BIN)/fintrack db down

db-reset: install
	$(BIN)/fintrack db reset

clean:
	-$(BIN)/fintrack db down
	rm -rf .local .serverless .pytest_cache .mypy_cache .ruff_cache

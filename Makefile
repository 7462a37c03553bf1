# Two commands: `make run` (set up and start everything) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# The sandbox lets webhooks reach a receiver on this machine (http://127.0.0.1:PORT/...);
# production leaves it off (contract 5.5). `WEBHOOK_ALLOW_PRIVATE_URLS=0 make run` tries the strict rule.
WEBHOOK_ALLOW_PRIVATE_URLS ?= 1
METRICS_DIR := $(or $(PROMETHEUS_MULTIPROC_DIR),$(or $(HOTSAUCE_VAR_DIR),$(CURDIR)/var)/metrics)

.PHONY: run test setup lint migrations-check bench loadtest clean sdks sdks-check bench-before

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py seed_demo --credentials-out var/sandbox-credentials.json
	$(BIN)/python manage.py ensure_admin
	@echo ""
	@echo "  API docs     http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  Admin        http://127.0.0.1:$(PORT)/admin/   (credentials above)"
	@echo "  Dashboard    http://127.0.0.1:$(PORT)/admin/dashboard/"
	@echo "  Sandbox API credentials: var/sandbox-credentials.json"
	@echo ""
	@# Metrics files belong to the processes about to start: empty the directory first.
	rm -rf "$(METRICS_DIR)" && mkdir -p "$(METRICS_DIR)"
	WEBHOOK_ALLOW_PRIVATE_URLS=$(WEBHOOK_ALLOW_PRIVATE_URLS) PROMETHEUS_MULTIPROC_DIR="$(METRICS_DIR)" PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

# Regenerate every generated part of the SDKs from the served schema (sdks/generate.py); commit the result.
sdks: $(STAMP)
	$(BIN)/python sdks/generate.py

# Fails when the committed SDKs no longer match what the schema generates.
sdks-check: $(STAMP)
	$(BIN)/python sdks/generate.py --check

bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

# The same HTTP phases against round 1's code (issue 19's "before"; bench/README.md).
BEFORE_CODE ?= ca1f5e8
bench-before: $(STAMP)
	$(BIN)/python bench/bench.py --code $(BEFORE_CODE) $(BENCH_ARGS)

# Production-like stack on this machine + Locust + invariant checks (bench/README.md).
loadtest: $(STAMP)
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache

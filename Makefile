# The two commands a fresh clone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench bench-web bench-dedupe bench-company-names bench-model bench-score bench-api bench-enrichment bench-rate-limits bench-score-history bench-crm clean-workspace

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "leadrank needs Python >= 3.11; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadrank demo
	$(BIN)/leadrank demo-outlets

# Tests run in parallel processes, each with its own databases and ports.
test: $(STAMP)
	$(BIN)/pytest -q --numprocesses auto --maxprocesses 4

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

# The web app's worklist on a 100,000-lead workspace: p50 and p95 per view.
bench-web: $(STAMP)
	$(BIN)/python benchmarks/web.py

bench-dedupe: $(STAMP)
	$(BIN)/python benchmarks/dedupe.py

# Name-only company matching beside Splink, installed into its own .venv-splink.
.venv-splink/.installed:
	$(PYTHON) -m venv .venv-splink
	.venv-splink/bin/pip install --quiet 'splink>=5.0'
	touch $@

bench-company-names: $(STAMP) .venv-splink/.installed
	$(BIN)/python benchmarks/dedupe.py --part companies

bench-model: $(STAMP)
	$(BIN)/python benchmarks/model_quality.py

bench-score: $(STAMP)
	$(BIN)/python benchmarks/scoring.py

bench-api: $(STAMP)
	$(BIN)/python benchmarks/api_load.py

bench-enrichment: $(STAMP)
	$(BIN)/python benchmarks/enrichment.py

bench-rate-limits: $(STAMP)
	$(BIN)/python benchmarks/rate_limits.py

bench-score-history: $(STAMP)
	$(BIN)/python benchmarks/score_history.py

bench-crm: $(STAMP)
	$(BIN)/python benchmarks/crm_sync.py

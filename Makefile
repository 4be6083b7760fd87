# cbss-analysis: every target builds .venv with pip when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := help
.PHONY: help env reports browser-check test test-fast lint notebooks lab browser-test bench clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
		--display-name "$$($(BIN)/python -m cbss_analysis.reports.refresh --kernel-display-name)" >/dev/null
	touch $(STAMP)

env: $(STAMP) ## Create .venv and install the package with its test and lab extras

reports: $(STAMP) ## Render every report of notebooks/reports.yaml into reports/: HTML, PDF, CSV, XLSX (skips unchanged runs)
	$(BIN)/cbss-analysis report --jobs $(JOBS) --pdf

browser-check: $(STAMP) ## After make reports: Chromium opens every report (links, console, requests, alt text, printing)
	$(BIN)/python -m tests.reports.browser_check reports

lint: $(STAMP) ## Lint (ruff) and check the import contracts of the layers (import-linter)
	$(BIN)/ruff check cbss_analysis tests benchmarks
	$(BIN)/lint-imports

test: lint ## Run the whole test suite, notebooks included, after the lint (what CI runs)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

test-fast: $(STAMP) ## Run the unit tests only (no notebook execution)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow" tests

notebooks: $(STAMP) ## Re-execute the committed notebooks in place on the embedded data
	$(BIN)/python -m cbss_analysis.reports.refresh

lab: $(STAMP) ## Start JupyterLab on notebooks/ with the project kernel (the one the notebooks name)
	$(BIN)/jupyter lab --MultiKernelManager.default_kernel_name=python3 notebooks/

browser-test: $(STAMP) ## Drive a real JupyterLab in headless Chromium (explorer, rich displays); needs chromium
	CBSS_BROWSER_TEST=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser

bench: $(STAMP) ## Run the benchmarks (estimation, loading, reports); results go in benchmarks/README.md
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_estimate.py
	$(BIN)/python benchmarks/bench_loading.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_quantile.py

clean: ## Remove the environment and rendered reports
	rm -rf $(VENV) reports/*/ reports/index.html

# Two commands on a fresh machine: `make test` and `make demo` (each creates the environment).
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup test test-fast lint demo bench bench-report clean-demo help

help:
	@echo "make test   - create .venv if needed, lint (ruff) and run the whole test suite"
	@echo "make demo   - create .venv if needed, run the mini recipe end to end (egs/mini/lauragpt):"
	@echo "              every task decoded and scored with the shipped multi-task model, a"
	@echo "              Table-1-shaped results table (FULL=1 retrains everything first: hours)"
	@echo "make bench  - run the benchmarks in bench/ one after another (JSON in bench/results),"
	@echo "              then write the tables of docs/performance.md from them (about 20 min on"
	@echo "              2 busy cores; building the mini corpus on first use adds about 3)"
	@echo "make bench-report - only rewrite the tables of docs/performance.md from bench/results/*.json"

$(VENV)/.installed: pyproject.toml tools/setup.sh
	VENV=$(VENV) bash tools/setup.sh

setup: $(VENV)/.installed

lint: setup
	$(BIN)/ruff check laura tests bench egs
	$(BIN)/ruff format --check laura tests bench egs

test: setup lint
	$(BIN)/pytest -q --durations=10 $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

# FULL=1 retrains everything the demo decodes with (text LM, CTC encoder, vocoder, the three
# LauraGPT stages: hours on 2 cores; egs/mini/lauragpt/RESULTS.md has the times) instead of
# continuing the shipped model for a few steps.
FULL ?= 0
DEMO_MODEL := $(if $(filter 1,$(FULL)),trained,shipped)

demo: setup
	cd egs/mini/lauragpt && PATH=$(abspath $(BIN)):$$PATH ./run.sh --model $(DEMO_MODEL)

# One at a time: they time themselves, and two at once would share the cores. A failing benchmark
# stops here, before the page is rewritten.
bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	$(BIN)/python bench/report.py

bench-report: setup
	$(BIN)/python bench/report.py

clean-demo:
	rm -rf egs/mini/lauragpt/data egs/mini/lauragpt/exp

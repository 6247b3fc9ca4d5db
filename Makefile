# Two commands on a fresh machine: `make test` and `make demo` (each creates the environment).
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup test test-fast lint demo bench bench-report clean-demo help

help:
	@echo "make test   - create .venv if needed, lint (ruff) and run the whole test suite"
	@echo "make demo   - create .venv if needed, run the mini recipe end to end (egs/mini/lauragpt)"
	@echo "              score the shipped mini codec (RETRAIN_CODEC=1 retrains it first), and"
	@echo "              run SE and TTS with the shipped LM and vocoder (egs/mini/se_tts)"
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
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

# RETRAIN_CODEC=1 retrains the mini codec (plain, harmonic, explicit F0: about 2 hours on 2 cores)
# before scoring it.
RETRAIN_CODEC ?= 0

demo: setup
	cd egs/mini/lauragpt && PATH=$(abspath $(BIN)):$$PATH ./run.sh
ifeq ($(RETRAIN_CODEC),1)
	cd egs/mini/codec && PATH=$(abspath $(BIN)):$$PATH ./run.sh --stage 2
else
	cd egs/mini/codec && PATH=$(abspath $(BIN)):$$PATH ./run.sh --stage 3 --stop-stage 3 --codec shipped/mini_codec
endif
	# SE and TTS with the shipped LauraGPT and one-step vocoder: wavs, spectrograms, scores.
	cd egs/mini/se_tts && PATH=$(abspath $(BIN)):$$PATH ./run.sh --stop-stage 1 && \
	  PATH=$(abspath $(BIN)):$$PATH ./run.sh --stage 8 --lm shipped/lauragpt_se_tts --vocoder shipped/vocoder_one_step

# One at a time: they time themselves, and two at once would share the cores. A failing benchmark
# stops here, before the page is rewritten.
bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	$(BIN)/python bench/report.py

bench-report: setup
	$(BIN)/python bench/report.py

clean-demo:
	rm -rf egs/mini/lauragpt/data egs/mini/lauragpt/exp egs/mini/codec/exp

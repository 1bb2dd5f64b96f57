# radbound — set up and run everything from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is an optional extra; the pinned 2.13.0 is a CPU build (set WITH_TORCH=0 to skip it).
WITH_TORCH ?= 1
TORCH_PIN ?= torch==2.13.0

.PHONY: setup demo test lint format benchmarks figures notebooks clean

setup: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@if [ "$(WITH_TORCH)" = "1" ]; then $(BIN)/python -m pip install -q "$(TORCH_PIN)" || echo "torch could not be installed: torch tests will be skipped"; fi
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/radbound demo

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check radbound studies tests benchmarks notebooks
	$(BIN)/ruff format --check radbound studies tests benchmarks notebooks

format: setup
	$(BIN)/ruff format radbound studies tests benchmarks notebooks
	$(BIN)/ruff check --fix radbound studies tests benchmarks notebooks

benchmarks: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# The notebooks: NN_name.py (jupytext percent format) is the source; NN_name.ipynb is synced from it
# by jupytext and executed in place, so that the committed notebook shows its outputs and plots.
INLINE := module://matplotlib_inline.backend_inline
NB ?= [0-9][0-9]_*
notebooks: setup
	@cd notebooks && for src in $(NB).py; do \
	  echo "== $$src"; \
	  ../$(BIN)/jupytext --quiet --sync "$$src" || exit 1; \
	  MPLBACKEND=$(INLINE) ../$(BIN)/jupyter-execute --inplace --timeout=600 "$${src%.py}.ipynb" 2>/dev/null || exit 1; \
	done

figures: setup
	$(BIN)/radbound study all --jobs 2 --out figures

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

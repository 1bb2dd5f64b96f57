# radbound — set up and run everything from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# torch is optional: network training needs it, everything else runs without it. Choose the build:
#   make setup TORCH=cpu    (default) the CPU build, from PyTorch's CPU wheel index (a few hundred MB)
#   make setup TORCH=cuda   the build of the default package index, which on Linux bundles CUDA
#                           libraries (several GB): for a machine with an NVIDIA GPU
#   make setup TORCH=none   no torch; its tests are skipped with a reason (WITH_TORCH=0 says the same)
# A plain `pip install torch==VERSION` from the default index is the CUDA build on Linux, not the CPU one.
TORCH ?= cpu
ifeq ($(WITH_TORCH),0)
TORCH := none
endif
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: setup demo test test-min docs lint format benchmarks figures notebooks clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@case "$(TORCH)" in \
	  cpu) $(BIN)/python -m pip install -q "torch==$(TORCH_VERSION)" --extra-index-url "$(TORCH_CPU_INDEX)" \
	         || echo "torch could not be installed: torch tests will be skipped" ;; \
	  cuda) $(BIN)/python -m pip install -q "torch==$(TORCH_VERSION)" \
	         || echo "torch could not be installed: torch tests will be skipped" ;; \
	  none) echo "TORCH=none: torch left out, its tests will be skipped" ;; \
	  *) echo "TORCH must be cpu, cuda or none, got '$(TORCH)'"; exit 2 ;; \
	esac
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/radbound demo

test: setup
	$(BIN)/python -m pytest

# The suite on the OLDEST versions radbound declares (pyproject.toml floors, see tools/oldest_requirements.py),
# on the oldest supported Python (3.10: pyenv's, else python3.10 on the PATH), in a separate venv.
# torch is left out there (no CPU build of torch 2.x for that Python lies on this machine's disk).
MIN_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3) python3.10)
MIN_VENV ?= .venv-min
test-min:
	rm -rf $(MIN_VENV)
	$(MIN_PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install -q --upgrade pip
	$(MIN_VENV)/bin/python tools/oldest_requirements.py > $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pip install -q -c $(MIN_VENV)/constraints.txt -e ".[dev]"
	$(MIN_VENV)/bin/python -m pip list --format=freeze | grep -i -E "^($$(cut -d= -f1 $(MIN_VENV)/constraints.txt | paste -sd'|'))=="
	$(MIN_VENV)/bin/python -m pytest -p no:cacheprovider

# The documentation site, built offline into docs/_build/html with warnings as errors. Notebooks are
# rendered with their stored outputs (never executed here); the API pages are generated from the docstrings.
docs: setup $(VENV)/.docs-installed
	rm -rf docs/generated
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "documentation: docs/_build/html/index.html"

$(VENV)/.docs-installed: pyproject.toml
	$(BIN)/python -m pip install -q -e ".[docs]"
	touch $@

lint: setup
	$(BIN)/ruff check radbound studies tests benchmarks notebooks tools docs/conf.py
	$(BIN)/ruff format --check radbound studies tests benchmarks notebooks tools docs/conf.py

format: setup
	$(BIN)/ruff format radbound studies tests benchmarks notebooks tools docs/conf.py
	$(BIN)/ruff check --fix radbound studies tests benchmarks notebooks tools docs/conf.py

benchmarks: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# The notebooks: NN_name.py (jupytext percent format) is the source; NN_name.ipynb is updated from it
# by jupytext (inputs only, whatever the files' times) and executed in place, so that the committed notebook shows its outputs and plots.
INLINE := module://matplotlib_inline.backend_inline
NB ?= [0-9][0-9]_*
notebooks: setup
	@cd notebooks && for src in $(NB).py; do \
	  echo "== $$src"; \
	  ../$(BIN)/jupytext --quiet --update --to ipynb "$$src" || exit 1; \
	  MPLBACKEND=$(INLINE) ../$(BIN)/jupyter-execute --inplace --timeout=600 "$${src%.py}.ipynb" 2>/dev/null || exit 1; \
	done

figures: setup
	$(BIN)/radbound study all --jobs 2 --out figures

clean:
	rm -rf $(VENV) $(MIN_VENV) build *.egg-info .pytest_cache docs/_build docs/generated docs/notebooks

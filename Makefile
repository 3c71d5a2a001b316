# `make report` and `make test` each create the virtual environment on first use.
PYTHON ?= python3.11
VENV ?= .venv
PROFILE ?= full
# The real datasets: a checkout beside a shared/data folder finds it without configuration.
FASHION_LAB_DATA ?= $(wildcard $(abspath ..)/shared/data)
export FASHION_LAB_DATA
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONHASHSEED := 0

.PHONY: venv report test lint clean

venv: $(STAMP)

# torch is installed first and pinned, so that pip takes the CPU wheel instead of
# resolving the loose `torch>=` bound in pyproject.toml to a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/python -m fashion_lab report --profile $(PROFILE)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check fashion_lab tests benchmarks

clean:
	rm -rf reports artifacts

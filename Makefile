# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
SCALE  ?= quick

.PHONY: demo test venv check figures report bench full lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## make demo: set up, run the quick claim ledger, regenerate the quick figures and the report
demo: $(STAMP)
	$(BIN)/theorylab check --scale $(SCALE)
	$(BIN)/theorylab figures --scale $(SCALE)
	$(BIN)/theorylab report

## make test: set up if needed, run the test suite on every core (paper-scale tests are marked slow)
test: $(STAMP)
	$(BIN)/python -m pytest -n auto

check: $(STAMP)
	$(BIN)/theorylab check --scale $(SCALE)

figures: $(STAMP)
	$(BIN)/theorylab figures --scale $(SCALE)

report: $(STAMP)
	$(BIN)/theorylab report

bench: $(STAMP)
	$(BIN)/python -m benchmarks

full: $(STAMP)
	$(BIN)/theorylab check --scale full
	$(BIN)/theorylab figures --scale full

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf results reports .pytest_cache

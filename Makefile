# `make test` runs every check; `make demo` runs the tour (once the command line exists).
# Both create the virtual environment they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck contracts unit integration fuzz bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: lint typecheck contracts unit integration

demo: $(STAMP)
	$(BIN)/python demo/tour.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks demo
	$(BIN)/ruff format --check src tests benchmarks demo

typecheck: $(STAMP)
	$(BIN)/mypy --strict src tests

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q

# Every test, the property-based ones with many more examples (tests/support/fuzz.py).
fuzz: $(STAMP)
	SG_FUZZ=1 $(BIN)/pytest tests -q --timeout=0

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build src/*.egg-info .mypy_cache .pytest_cache .ruff_cache

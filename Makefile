# Two commands a new user needs: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench setup clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,dwave,ibm,qnet]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python examples/demo.py

test: $(STAMP) lint
	bash scripts/pytest.sh

# ruff's linter and formatter (configured in pyproject.toml); `make format` applies the formatter
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench --benchmark-enable -m "slow or not slow" --benchmark-columns=min,mean,rounds -p no:cacheprovider

clean:
	rm -rf $(VENV) build *.egg-info

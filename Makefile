# Two commands: `make run` (install + start the app) and `make test` (install + whole suite, what CI runs);
# `make test-fast` leaves out the tests marked slow (a developer's loop).
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast install bench lint clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup -m "not slow"

bench: $(STAMP)
	$(VENV)/bin/findl bench playground
	$(VENV)/bin/findl bench forecast
	$(VENV)/bin/findl bench anomaly
	$(PY) -m bench.app_latency
	$(PY) -m bench.classroom

lint: $(STAMP)
	$(VENV)/bin/ruff check core app_pages app.py bench tests

clean:
	rm -rf $(VENV) .pytest_cache

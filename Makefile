# `make demo` and `make test` work on a fresh machine: they create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench calibration clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mlwatch demo --out out

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_audit.py
	$(PY) benchmarks/bench_slices.py
	$(PY) benchmarks/bench_stream.py
	$(PY) benchmarks/bench_wide.py
	cd benchmarks && ../$(PY) bench_attribution.py

calibration: $(STAMP)
	$(PY) benchmarks/bench_calibration.py

clean:
	rm -rf $(VENV) out .pytest_cache

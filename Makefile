# `make demo` and `make test` work on a fresh machine: they create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test docs bench calibration clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mlwatch demo --out out

test: $(STAMP)
	$(PY) -m pytest -q

# Every curated notebook executed and rendered to HTML with its figures (apps as pictures of
# their state: the static HTML each app displays beside its widget is preferred, since a
# widget needs a live kernel or a CDN), and the demo's postmortem beside them: open
# docs/index.html. Not committed.
STATIC_FIRST := ["text/html","text/markdown","image/svg+xml","image/png","image/jpeg","text/plain"]
docs: $(STAMP)
	rm -rf docs && mkdir -p docs
	cd notebooks && ../$(VENV)/bin/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=900 \
		--NbConvertBase.display_data_priority="$(STATIC_FIRST)" --output-dir ../docs *.ipynb
	$(VENV)/bin/mlwatch demo --out docs/demo
	$(PY) -m mlwatch.report.docs docs

bench: $(STAMP)
	$(PY) benchmarks/bench_audit.py
	$(PY) benchmarks/bench_slices.py
	$(PY) benchmarks/bench_stream.py
	$(PY) benchmarks/bench_wide.py
	cd benchmarks && ../$(PY) bench_attribution.py

calibration: $(STAMP)
	$(PY) benchmarks/bench_calibration.py

clean:
	rm -rf $(VENV) out docs notebooks/out .pytest_cache

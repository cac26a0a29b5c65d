# Two commands on a fresh machine: `make run` starts the app, `make test` runs the suite.
# `make serve` serves a crowd: one Streamlit replica per core behind HAProxy (apt-get install haproxy).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run serve test bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# One process: `streamlit run app.py`, booted (programs compiled, heap frozen) before it serves.
run: $(VENV)/.runtime
	$(PY) -m optviz warmup
	$(PY) -m optviz.ui.launch

serve: $(VENV)/.runtime
	$(PY) -m optviz serve $(if $(PORT),--port $(PORT)) $(if $(WORKERS),--workers $(WORKERS))

test: $(VENV)/.dev
	$(PY) -m pytest -q tests

bench: $(VENV)/.dev
	$(PY) benchmarks/bench_sweep.py  # the others: see benchmarks/ (crowd.py takes ~10 min)

clean:
	rm -rf $(VENV) .pytest_cache

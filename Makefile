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
	$(PY) -m optviz.app.launch

serve: $(VENV)/.runtime
	$(PY) -m optviz serve $(if $(PORT),--port $(PORT)) $(if $(WORKERS),--workers $(WORKERS))

test: $(VENV)/.dev
	$(PY) -m pytest -q tests

# Every benchmark, each against its peer in the same run (about 25 minutes on 2 cores). They need
# torch (installed here, CPU build; never a runtime dependency), Debian's chromium, and the full
# MNIST files in ../shared/mnist for the MNIST one (skipped with a note when absent).
bench: $(VENV)/.dev
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0
	$(PY) benchmarks/bench_sweep.py
	if [ -d ../shared/mnist ]; then $(PY) benchmarks/bench_mnist.py; else echo "bench_mnist: no ../shared/mnist, skipped"; fi
	$(PY) benchmarks/bench_landscape.py
	$(PY) benchmarks/bench_first_visit.py
	$(PY) benchmarks/bench_cold_start.py
	$(PY) benchmarks/bench_surfaces_page.py
	$(PY) benchmarks/bench_browser_redraw.py
	$(PY) benchmarks/load_test.py
	$(PY) benchmarks/crowd.py

clean:
	rm -rf $(VENV) .pytest_cache

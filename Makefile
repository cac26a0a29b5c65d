# Two commands on a fresh machine: `make run` starts the app, `make test` runs lint, types and tests.
# `make serve` serves a crowd: one Streamlit replica per core behind HAProxy (apt-get install haproxy).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# PYTEST_ARGS runs a subset instead, in one pytest run (one process unless it says `-n 2`);
# the fast inner loop: `make test PYTEST_ARGS='-n 2 -m "not app and not browser and not server"'`.
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

.PHONY: run serve test lint fix docs bench clean

# The pinned set (requirements.lock, from pyproject.toml by pip-compile), then optviz itself,
# editable, so that the `optviz` command runs this checkout.
$(VENV)/.runtime: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PY) -m pip install --quiet -r requirements-dev.lock
	touch $@

# One process: `streamlit run app.py`, booted (programs compiled, heap frozen) before it serves.
run: $(VENV)/.runtime
	$(PY) -m optviz warmup
	$(VENV)/bin/optviz app

serve: $(VENV)/.runtime
	$(VENV)/bin/optviz serve $(if $(PORT),--port $(PORT)) $(if $(WORKERS),--workers $(WORKERS))

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Apply what ruff can fix by itself (imports, formatting).
fix: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Two passes: the in-process tests spread over TEST_WORKERS processes (pytest-xdist), then the
# ones that start servers and browsers one at a time (each keeps both cores busy itself, and
# some of them wait on timers). Each lists its slowest tests: the whole run is to stay within
# about ten minutes on 2 cores.
test: lint
ifeq ($(strip $(PYTEST_ARGS)),)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --durations=10 tests -m "not browser and not server"
	$(PY) -m pytest -q --durations=10 tests -m "browser or server"
else
	$(PY) -m pytest -q --durations=20 tests $(PYTEST_ARGS)
endif

docs: $(VENV)/.dev
	$(PY) scripts/optimizers_page.py
	$(VENV)/bin/mkdocs build --strict --site-dir site

# Every benchmark, each against its peer in the same run (about 50 minutes on 2 cores). They need
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
	$(PY) benchmarks/bench_scrub.py
	$(PY) benchmarks/load_test.py
	$(PY) benchmarks/crowd.py
	$(PY) benchmarks/bench_hosted.py
	$(PY) benchmarks/bench_heavy.py
	$(PY) benchmarks/bench_estimates.py
	$(PY) benchmarks/bench_memory.py --rounds 4
	$(PY) benchmarks/bench_serve_steady.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site build *.egg-info

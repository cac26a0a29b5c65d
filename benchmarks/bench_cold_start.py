"""Cold start: from `streamlit run app.py` to the first 3D chart drawn in a real browser.

Run:  .venv/bin/python benchmarks/bench_cold_start.py
Needs Debian's chromium and playwright (the dev requirements). Measures twice: with an empty
JAX compilation cache, then with the cache the first start left behind (a server restart).
Prints server-ready time and time-to-chart for a first visit of a fresh server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import Server  # noqa: E402


def cold_start(cache_dir: str) -> tuple[float, float]:
    """(seconds until the server answers, seconds from launch until the 3D chart is on screen)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        t0 = time.perf_counter()
        with Server(env={"OPTVIZ_JAX_CACHE": cache_dir}) as server:  # returns once the server answers
            ready = time.perf_counter() - t0
            page = browser.new_page()
            page.goto(server.base + "/")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".some(e => e._fullData && e._fullData[0] && e._fullData[0].type === 'surface')",
                timeout=120_000,
            )
            drawn = time.perf_counter() - t0
        browser.close()
    return ready, drawn


def main() -> None:
    cache = tempfile.mkdtemp(prefix="optviz-jax-cache-")
    env = dict(os.environ, OPTVIZ_JAX_CACHE=cache, PYTHONPATH=ROOT)
    try:
        for label in (
            "empty compilation cache",
            "warm compilation cache (server restart)",
            "after `make run`'s warm-up (fresh cache, then `python -m optviz warmup`)",
        ):
            if label.startswith("after"):
                shutil.rmtree(cache)
                subprocess.run(
                    [sys.executable, "-m", "optviz", "warmup"], cwd=ROOT, env=env, check=True, capture_output=True
                )
            ready, drawn = cold_start(cache)
            print(
                f"{label}: server ready {ready:.2f} s, 3D chart on screen {drawn:.2f} s after launch "
                f"({drawn - ready:.2f} s after the server answered)"
            )
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()

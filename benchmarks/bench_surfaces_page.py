"""Server time per slider change on the Surfaces page, measured with AppTest.

Run:  .venv/bin/python benchmarks/bench_surfaces_page.py [--changes N]
Prints p50/p90/max milliseconds per rerun after a hyperparameter change (new values every
time, so no result cache helps), and the first run's time (compiles included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from streamlit.testing.v1 import AppTest  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    for inside in (False, True):
        measure(args.changes, inside)
    measure_bare(args.changes)


def measure_bare(changes: int) -> None:
    """The same measurement on benchmarks/bare_page.py, a bare page drawing the same charts."""
    at = AppTest.from_file(os.path.join(ROOT, "benchmarks", "bare_page.py"), default_timeout=300)
    at.run()
    times = []
    for i in range(changes):
        t = time.perf_counter()
        at.number_input(key="lr").set_value(0.02 + 0.0005 * i).run()
        times.append(1000 * (time.perf_counter() - t))
    print(
        f"peer, bare Streamlit+Plotly page drawing the same charts: p50 {percentile(times, 0.5):.1f} ms, "
        f"p90 {percentile(times, 0.9):.1f} ms"
    )


def measure(changes: int, inside: bool) -> None:
    """Time ``changes`` learning-rate changes, with the optimizer-internals section open or not."""
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=300)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    if inside:
        at.toggle(key="inside").set_value(True).run()

    # Warm the number box path once (first change compiles nothing new, but imports lazily).
    at.number_input(key="r0_adam_lr").set_value(0.049).run()
    times = []
    for i in range(changes):
        lr = 0.02 + 0.0005 * i  # a fresh value every time: no cached result
        t = time.perf_counter()
        at.number_input(key="r0_adam_lr").set_value(lr).run()
        times.append(time.perf_counter() - t)
        assert not at.exception
    ms = [1000 * t for t in times]
    print(f"first run (imports + compiles): {first:.2f} s")
    print(
        f"'Inside the optimizer' {'open' if inside else 'closed'}: slider change, server time over {len(ms)} "
        f"changes: p50 {percentile(ms, 0.5):.1f} ms, "
        f"p90 {percentile(ms, 0.9):.1f} ms, max {max(ms):.1f} ms, mean {statistics.mean(ms):.1f} ms"
    )


if __name__ == "__main__":
    main()

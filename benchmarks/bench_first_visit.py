"""First visit: a fresh server as `make run` serves it, opened in headless Chromium, until the
page is idle with its charts drawn; beside it a bare Streamlit + Plotly page of the same size
(five charts, as the Surfaces page has had since issue 14) and the three-chart one it was
first compared with.

Run:  .venv/bin/python benchmarks/bench_first_visit.py [--repeats 5]
(needs Debian's chromium and playwright from the dev requirements)

Each repeat starts every server fresh (the app as `python -m optviz.app.launch`, which `make run`
runs after `python -m optviz warmup`; the compilation cache is the one `make run` leaves), then
times, in a new browser, from navigation to the moment the page's 3D chart and every other
chart are drawn and Streamlit's "running" indicator is gone. Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from crowd import target_server  # noqa: E402
from protocol import Server  # noqa: E402

IDLE = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const drawn = plots.length >= %d && plots.every(e => e._fullData && e._fullData.length > 0)
    && plots.some(e => e._fullData[0].type === 'surface');
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  return drawn && !running;
}"""


def first_visit(server: Server, charts: int, query: str = "") -> float:
    """Seconds from navigation to an idle page with ``charts`` charts drawn, a 3D surface among them."""
    return first_visit_cpu(server, charts, query)[0]


def first_visit_cpu(server: Server, charts: int, query: str = "") -> tuple[float, float, float]:
    """:func:`first_visit`'s seconds, and the CPU seconds Chromium's processes and the server's
    spent meanwhile (from /proc). CPU time is the steadier measure on a VM whose speed drifts, and
    it says whose work a slow visit was: the browser's or the server's (they share the cores)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        cpu0 = _chromium_cpu(), _cpu_seconds(server.proc.pid)
        t = time.perf_counter()
        page.goto(server.base + "/" + query)
        page.wait_for_function(IDLE % charts, timeout=120_000, polling=50)
        seconds = time.perf_counter() - t
        cpu1 = _chromium_cpu(), _cpu_seconds(server.proc.pid)
        browser.close()
    return seconds, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` (all its threads), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _chromium_cpu() -> float:
    """CPU seconds of every Chromium process now running (the benchmark runs one browser at a time)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"chromium" in f.read():
                    total += _cpu_seconds(int(pid))
        except OSError:
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "optviz", "warmup"], cwd=ROOT, check=True, capture_output=True)
    bare = lambda: Server(script="benchmarks/bare_page.py")
    targets = {
        "bare Streamlit + Plotly page, 3 charts": (bare, 3, ""),
        "bare page, the Surfaces page's 5 charts": (bare, 5, "?charts=5"),
        "optviz, as `make run` serves it": (
            lambda: target_server("single"),  # the launcher, as crowd.py runs it
            5,
            "",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(args.repeats):
        for name, (make, charts, query) in targets.items():
            with make() as server:
                times[name].append(first_visit(server, charts, query))
    print(
        f"machine: {os.cpu_count()} cores; first visit of a fresh server to /, headless Chromium, until idle "
        f"with its charts drawn (median of {args.repeats}, each on a fresh server)"
    )
    for name, values in times.items():
        print(f"{name:40s} {statistics.median(values):5.2f} s   (all: {', '.join(f'{v:.2f}' for v in values)})")
    bare3, bare5, ours = (statistics.median(v) for v in times.values())
    print(
        f"optviz / bare page of 5 charts (the same size): {ours / bare5:.2f}x   (target <= 1.3x); "
        f"/ bare page of 3 charts: {ours / bare3:.2f}x"
    )


if __name__ == "__main__":
    main()

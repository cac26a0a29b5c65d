"""The app as a hosted platform serves it, from cold: plain `streamlit run app.py` with Streamlit
Community Cloud's forced settings and an empty JAX compilation cache (a container woken from
sleep), beside the bare Streamlit + Plotly page drawing the same five charts, same settings.

Run:  .venv/bin/python benchmarks/bench_hosted.py [--repeats 3] [--students 30] [--seconds 20]
(needs Debian's chromium and playwright from the dev requirements)

Two measurements, each on a fresh server per repeat, the two sides interleaved:

- first visit: headless Chromium opens / and waits until the page is idle with all its charts
  drawn (benchmarks/bench_first_visit.py's criterion), from navigation; with the CPU seconds
  Chromium and the server spent meanwhile (they share the machine's cores);
- a class on a fresh server: ``--students`` protocol-level sessions (benchmarks/protocol.py)
  open the default view at the same moment (the last first page: from the HTTP request to the
  script's end), then nudge the learning rate every 2 s for ``--seconds`` (nudge p90).

Prints every repeat, then best and median ratios to the bare page (targets: first visit
<= 1.5x, last first page <= 2x).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_first_visit import first_visit_cpu
from crowd import crowd, pct
from protocol import Server

# What Community Cloud forces on every app; .streamlit/config.toml is honoured for the rest.
HOSTED = [
    "--runner.fastReruns",
    "true",
    "--server.runOnSave",
    "true",
    "--client.showErrorDetails",
    "false",
    "--server.enableXsrfProtection",
    "true",
]
SIDES = {"optviz": ("app.py", ""), "bare page": ("benchmarks/bare_page.py", "charts=5")}


def hosted_server(script: str, cache_dir: str | None = None, log: str | None = None) -> Server:
    """A fresh `streamlit run SCRIPT` with the hosted settings and an empty compilation cache
    (``cache_dir``, which must be empty; default: a new temporary folder); its output goes to
    ``log``, if given."""
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", "{port}", *HOSTED]
    cache = cache_dir or tempfile.mkdtemp(prefix="optviz-cold-")
    return Server(command=command, env={"OPTVIZ_JAX_CACHE": cache}, log=log)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    visits: dict[str, list[float]] = {side: [] for side in SIDES}
    browser_cpu: dict[str, list[float]] = {side: [] for side in SIDES}
    server_cpu: dict[str, list[float]] = {side: [] for side in SIDES}
    lasts: dict[str, list[float]] = {side: [] for side in SIDES}
    p90s: dict[str, list[float]] = {side: [] for side in SIDES}
    print(f"machine: {os.cpu_count()} cores; hosted settings {' '.join(HOSTED[::2])}; empty JAX cache per server")
    for repeat in range(args.repeats):
        for side, (script, query) in SIDES.items():
            with hosted_server(script) as server:
                wall, browser, serving = first_visit_cpu(server, 5, "?" + query if query else "")
                visits[side].append(wall)
                browser_cpu[side].append(browser)
                server_cpu[side].append(serving)
            with hosted_server(script) as server:
                r = asyncio.run(crowd(server.base, [query], args.students, args.seconds))
                lasts[side].append(max(r["first"]))
                p90s[side].append(pct(r["nudges"], 0.9))
                errors = len(r["errors"])
            print(
                f"repeat {repeat + 1}, {side:9s}: first visit {visits[side][-1]:5.2f} s (CPU: Chromium "
                f"{browser_cpu[side][-1]:4.1f} s, server {server_cpu[side][-1]:4.1f} s); {args.students} students: "
                f"last first page {lasts[side][-1]:5.2f} s, nudge p90 {1000 * p90s[side][-1]:4.0f} ms, "
                f"errors {errors}",
                flush=True,
            )
    for name, values, target in (
        ("first visit", visits, 1.5),
        ("first visit, Chromium's CPU seconds", browser_cpu, None),
        ("first visit, the server's CPU seconds", server_cpu, None),
        (f"{args.students} students' last first page", lasts, 2.0),
        ("nudge p90", p90s, None),
    ):
        ours, bare = values["optviz"], values["bare page"]
        best, median = min(ours) / min(bare), statistics.median(ours) / statistics.median(bare)
        goal = f" (target <= {target}x)" if target else ""
        print(f"{name}: best {best:.2f}x, median {median:.2f}x the bare page's{goal}")


if __name__ == "__main__":
    main()

"""A class on one link: 1, 10 and 30 sessions opening a link at once, then nudging the learning rate every 2 s.

Run:  .venv/bin/python benchmarks/crowd.py [--sessions 1,10,30] [--seconds 20] [--targets bare,single,serve2]

Each target is started fresh on loopback and driven by protocol-level sessions (benchmarks/
protocol.py: Streamlit's websocket protocol, no browsers, so only the server's work counts):

- ``bare``: benchmarks/bare_page.py, a bare Streamlit + Plotly page drawing the same amount
  (3D surface, contour, two curve panels, a table; the same steps), under the same config: the floor;
- ``single``: one process, as `make run` serves it (`python -m optviz.app.launch`: `streamlit run
  app.py` after the boot);
- ``serve2``: `python -m optviz serve --workers 2`, two replicas behind the sticky proxy.

Scenarios: N sessions on the issue's link (``one``) and 30 spread over eight different
links (``mix``). All N open their link at the same moment (first page: from the HTTP request
to the script's end); then for ``--seconds`` each types a new learning rate every 2 s (nudge:
from sending the change to the script's end). Values differ per session and per nudge, so
no session is served another's result. Prints a table with percentiles, errors and the
server's memory (all its processes) after each scenario (the mix runs twice: bounded caches
keep memory flat), then the ratios to the bare page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import Server, Session

CLASS_LINK = "surface=rosenbrock&start=-1.5,2&steps=500&opt=adam:lr=0.02&opt=momentum:lr=0.0005&opt=sgd:lr=0.0005"
MIX = [
    CLASS_LINK,
    "surface=bowl&opt=adam:lr=0.05&opt=sgd:lr=0.05",
    "surface=himmelblau&steps=300&opt=adam:lr=0.05&opt=momentum:lr=0.002&opt=nesterov:lr=0.002",
    "surface=beale&steps=800&opt=adam:lr=0.01&opt=adamw:lr=0.01",
    "surface=rastrigin&steps=400&opt=adam:lr=0.05&opt=lion:lr=0.001&noise=0.5&seed=3",
    "surface=custom&expr=sin(3*x)*cos(3*y)%2B0.1*(x**2%2By**2)&domain=-2,2,-2,2&opt=adam:lr=0.05&opt=swats:lr=0.05",
    "surface=six_hump_camel&steps=600&opt=adam:lr=0.03&opt=nadam:lr=0.03",
    "surface=ellipse&steps=200&opt=adam:lr=0.05&opt=rmsprop:lr=0.01&opt=adagrad:lr=0.3",
]
BARE_LINKS = {"one": ["steps=500"], "mix": [f"steps={s}" for s in (500, 150, 300, 800, 400, 150, 600, 200)]}
NUDGE_EVERY = 2.0


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))] if s else float("nan")


def lr_key(session: Session) -> str:
    """The user key of the first learning-rate box on the session's page."""
    keys = [k for k in session.widgets if k == "lr" or (k.startswith("r0_") and k.endswith("_lr"))]
    if not keys:
        raise RuntimeError(f"no learning-rate box on {session.query!r}: saw {sorted(session.widgets)}")
    return keys[0]


async def crowd(base: str, links: list[str], n: int, seconds: float) -> dict:
    """N sessions open their links at once, then nudge every NUDGE_EVERY seconds for ``seconds``."""
    sessions = [Session(base, links[i % len(links)]) for i in range(n)]

    async def open_page(s: Session) -> float:
        t = time.perf_counter()
        await s.connect()
        await s.rerun()
        return time.perf_counter() - t

    first = await asyncio.gather(*(open_page(s) for s in sessions))
    t0 = time.monotonic()

    async def nudge(s: Session, i: int) -> list[float]:
        await asyncio.sleep(NUDGE_EVERY * i / n)  # students do not move in step
        key, out, k = lr_key(s), [], 0
        tick = time.monotonic()
        while time.monotonic() - t0 < seconds:
            out.append(await s.set_number(key, 0.003 + 0.0001 * i + 0.00001 * k))
            k += 1
            tick += NUDGE_EVERY
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
        return out

    nudges = [x for r in await asyncio.gather(*(nudge(s, i) for i, s in enumerate(sessions))) for x in r]
    for s in sessions:
        await s.close()
    return {
        "first": first,
        "nudges": nudges,
        "errors": [e for s in sessions for e in s.exceptions],
        "replicas": len({s.replica for s in sessions}),
    }


def target_server(name: str) -> Server:
    if name == "bare":
        return Server(script="benchmarks/bare_page.py")
    if name == "single":
        return Server(
            command=[
                sys.executable,
                "-m",
                "optviz.app.launch",
                "--server.port",
                "{port}",
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            timeout=300,
        )
    workers = int(name.removeprefix("serve"))
    return Server(
        command=[
            sys.executable,
            "-m",
            "optviz",
            "serve",
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--address",
            "127.0.0.1",
        ],
        timeout=300,
    )


def row(target: str, scenario: str, r: dict, rss: float) -> str:
    ms = [1000 * x for x in r["nudges"]]
    first = [1000 * x for x in r["first"]]
    return (
        f"| {target} | {scenario} | {statistics.median(first):.0f} / {max(first):.0f} | "
        f"{pct(ms, 0.5):.0f} / {pct(ms, 0.9):.0f} / {pct(ms, 0.99):.0f} | {len(ms)} | {len(r['errors'])} | "
        f"{r['replicas']} | {rss:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", default="1,10,30")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--targets", default="bare,single,serve2")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    scenarios = [(f"{n} on one link", "one", n) for n in counts] + [
        (f"{max(counts)} on 8 links", "mix", max(counts)),
        (f"{max(counts)} on 8 links, again", "mix", max(counts)),
    ]
    print(f"machine: {os.cpu_count()} cores; nudge every {NUDGE_EVERY:g} s for {args.seconds:g} s per scenario")
    print(
        "| target | scenario | first page ms, median / slowest | nudge ms p50 / p90 / p99 | nudges | errors | "
        "replicas used | RSS MiB after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    results: dict[tuple[str, str], dict] = {}
    for target in args.targets.split(","):
        with target_server(target) as server:
            # The teacher opened the link once before class (this also loads compiled programs).
            warm = BARE_LINKS["one"] if target == "bare" else [CLASS_LINK]
            asyncio.run(crowd(server.base, warm, 1, 0.0))
            for label, kind, n in scenarios:
                links = BARE_LINKS[kind] if target == "bare" else ([CLASS_LINK] if kind == "one" else MIX)
                r = asyncio.run(crowd(server.base, links, n, args.seconds))
                results[(target, label)] = r
                print(row(target, label, r, server.rss()), flush=True)
    print()
    for target in args.targets.split(","):
        if target == "bare":
            continue
        for label, _, _ in scenarios:
            r, floor = results[(target, label)], results.get(("bare", label))
            if floor is None:
                continue
            p90 = pct(r["nudges"], 0.9) / pct(floor["nudges"], 0.9)
            first = max(r["first"]) / max(floor["first"])
            print(
                f"{target}, {label}: nudge p90 {p90:.2f}x the bare page's (target <= 4), "
                f"slowest first page {first:.2f}x (target <= 2), errors {len(r['errors'])}"
            )


if __name__ == "__main__":
    main()

"""A steady class on `make serve`: three consecutive rounds, each beside the same-content page.

Run:  .venv/bin/python benchmarks/bench_serve_steady.py [--rounds 3] [--students 30] [--seconds 20] [--workers 2]

Both servers are up for the whole run: `python -m optviz serve --workers N` (as `make serve`)
and benchmarks/bare_page.py (a bare Streamlit + Plotly page drawing the same charts). Each
round drives, in turn on each side (interleaved, so the machine's drift hits both alike),
``--students`` protocol-level sessions on one link and then spread over eight links
(benchmarks/crowd.py's scenarios: open at once, nudge the lr every 2 s for ``--seconds``).
Prints each round's nudge p90 on both sides and their ratio; target: every ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from crowd import BARE_LINKS, CLASS_LINK, MIX, crowd, pct, target_server

TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    links = {
        "bare": {"one link": BARE_LINKS["one"], "8 links": BARE_LINKS["mix"]},
        "optviz": {"one link": [CLASS_LINK], "8 links": MIX},
    }
    ratios = []
    with target_server("bare") as bare, target_server(f"serve{args.workers}") as served:
        servers = {"bare": bare, "optviz": served}
        # HAProxy spreads new browsers over the replicas from about a second after they are up (in
        # the first second all went to one, measured); a class arrives later than that.
        time.sleep(3)
        for name, server in servers.items():  # the teacher opened the link once before class
            asyncio.run(crowd(server.base, links[name]["one link"], 1, 0.0))
        print(f"{os.cpu_count()} cores; make serve with {args.workers} replicas; {args.students} students")
        for r in range(1, args.rounds + 1):
            for scenario in ("one link", "8 links"):
                p90 = {}
                for name, server in servers.items():
                    out = asyncio.run(crowd(server.base, links[name][scenario], args.students, args.seconds))
                    p90[name] = 1000 * pct(out["nudges"], 0.9)
                    spread = out["replicas"]
                    if out["errors"]:
                        print(f"  {name}: {len(out['errors'])} errors, e.g. {out['errors'][0][:160]}")
                ratio = p90["optviz"] / p90["bare"]
                ratios.append(ratio)
                print(
                    f"round {r}, {scenario}: nudge p90 {p90['optviz']:.0f} ms against {p90['bare']:.0f} ms: "
                    f"{ratio:.2f}x (target <= {TARGET}); the class on {spread} replica(s)",
                    flush=True,
                )
    print(f"\nworst {max(ratios):.2f}x; {'all' if max(ratios) <= TARGET else 'NOT all'} within target")


if __name__ == "__main__":
    main()

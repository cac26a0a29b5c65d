"""Load test: several concurrent sessions, each from its own link, changing sliders.

Run:  .venv/bin/python benchmarks/load_test.py [--sessions 6] [--changes 20]

Starts `streamlit run app.py` on loopback and drives it with a small client that speaks
Streamlit's own websocket protocol (the BackMsg/ForwardMsg protobufs a browser sends and
receives), so that many sessions fit on a small machine. Each session opens a different share
link, then changes its first optimizer's learning rate `--changes` times; the latency is the
time from sending the change to the server's "script finished". Prints latency percentiles,
checks that no session saw an exception, and reads the server's memory (RSS) after the first
page of every session, after the first round of changes and after a second round: with
bounded caches it levels off instead of growing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import Server, Session, rss_mib

LINKS = [
    "surface=bowl&opt=adam:lr=0.05&opt=sgd:lr=0.05",
    "surface=rosenbrock&start=-1.2,1&steps=500&opt=adam:lr=0.02&opt=rmsprop:lr=0.003",
    "surface=himmelblau&steps=300&opt=adam:lr=0.05&opt=momentum:lr=0.002&opt=nesterov:lr=0.002",
    "surface=beale&steps=800&opt=adam:lr=0.01&opt=adamw:lr=0.01",
    "surface=rastrigin&steps=400&opt=adam:lr=0.05&opt=lion:lr=0.001&noise=0.5&seed=3",
    "surface=custom&expr=sin(3*x)*cos(3*y)%2B0.1*(x**2%2By**2)&domain=-2,2,-2,2&opt=adam:lr=0.05&opt=swats:lr=0.05",
    "surface=six_hump_camel&steps=600&opt=adam:lr=0.03&opt=nadam:lr=0.03",
    "surface=booth&opt=adam:lr=0.2&opt=adagrad:lr=0.5&opt=amsgrad:lr=0.2",
]


async def run_sessions(base: str, sessions: int, changes: int, pid: int, think: float = 0.0) -> dict:
    clients = [Session(base, LINKS[i % len(LINKS)]) for i in range(sessions)]
    for c in clients:
        await c.connect()
    first = await asyncio.gather(*(c.rerun() for c in clients))
    rss_open = rss_mib(pid)

    async def wiggle(c: Session, rounds: int) -> list[float]:
        for _ in range(3):  # a first page can end before its widgets (a page switch, a rerun)
            key = next((k for k in c.widgets if k.startswith("r0_") and k.endswith("_lr")), None)
            if key:
                break
            await c.rerun()
        else:
            raise RuntimeError(f"no learning-rate box in session {c.query!r}: saw {sorted(c.widgets)}")
        out = []
        for i in range(rounds):
            out.append(await c.set_number(key, 0.01 + 0.0007 * i + 0.0001 * clients.index(c)))
            if think:
                await asyncio.sleep(think)
        return out

    t = time.perf_counter()
    lat = [x for r in await asyncio.gather(*(wiggle(c, changes) for c in clients)) for x in r]
    wall = time.perf_counter() - t
    rss_round1 = rss_mib(pid)
    await asyncio.gather(*(wiggle(c, changes) for c in clients))
    rss_round2 = rss_mib(pid)
    for c in clients:
        await c.ws.close()
    ms = sorted(1000 * x for x in lat)
    pick = lambda q: ms[min(len(ms) - 1, int(q * (len(ms) - 1)))]
    print(
        f"{sessions} concurrent sessions, {changes} slider changes each, {think:g} s between changes "
        f"({len(ms)} reruns in {wall:.1f} s)"
    )
    print(f"first page per session: median {1000 * statistics.median(first):.0f} ms, max {1000 * max(first):.0f} ms")
    print(
        f"slider change to rerun finished: p50 {pick(0.5):.0f} ms, p90 {pick(0.9):.0f} ms, "
        f"p99 {pick(0.99):.0f} ms, max {ms[-1]:.0f} ms"
    )
    print(
        f"server RSS: {rss_open:.0f} MiB after every session's first page, {rss_round1:.0f} MiB after one "
        f"round of changes, {rss_round2:.0f} MiB after a second"
    )
    errors = [e for c in clients for e in c.exceptions]
    print(f"exceptions seen by the sessions: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    return {
        "errors": errors,
        "latencies_ms": ms,
        "rss": (rss_open, rss_round1, rss_round2),
        "widgets": [sorted(c.widgets) for c in clients],
    }


async def _slide_until(user: Session, key: str, done: asyncio.Event, latencies: list[float]) -> None:
    """Change ``user``'s number box every 0.2 s until ``done``, recording each rerun's latency."""
    i = 0
    while not done.is_set():
        latencies.append(await user.set_number(key, 0.02 + 0.001 * i))
        i += 1
        await asyncio.sleep(0.2)


async def heavy_neighbour(base: str) -> dict:
    """One session runs the largest sweep (256x256 cells, 2000 steps) while another moves a slider."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    heavy, user = Session(base, ""), Session(base, LINKS[1])
    await heavy.connect()
    await user.connect()
    await heavy.rerun_page("sweep")
    await user.rerun()
    states = WidgetStates()
    for key in ("sw_x_n", "sw_y_n"):
        w = states.widgets.add()
        w.id, w.int_value = heavy.widgets[key], 256
    w = states.widgets.add()
    w.id = heavy.widgets["sw_steps"]
    w.double_array_value.data.append(2000)
    key = next(k for k in user.widgets if k.startswith("r0_") and k.endswith("_lr"))
    alone = [await user.set_number(key, 0.011 + 0.001 * i) for i in range(5)]
    during: list[float] = []
    done = asyncio.Event()

    async def big() -> float:
        seconds = await heavy.rerun_page("sweep", states)
        done.set()
        return seconds

    sweep_s, _ = await asyncio.gather(big(), _slide_until(user, key, done, during))
    med = lambda xs: 1000 * statistics.median(xs)
    print(
        f"a 256x256 x 2000-step sweep in one session took {sweep_s:.1f} s; meanwhile another session's "
        f"slider changes took median {med(during):.0f} ms, max {1000 * max(during):.0f} ms "
        f"({len(during)} changes), against {med(alone):.0f} ms with the server to itself"
    )
    return {"errors": heavy.exceptions + user.exceptions, "during": during, "alone": alone}


async def mnist_neighbour(base: str) -> dict:
    """One session trains the seed's CNN race on /mnist while another moves a slider."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    trainer, user = Session(base, ""), Session(base, LINKS[1])
    await trainer.connect()
    await user.connect()
    await trainer.rerun_page("mnist")
    await user.rerun()
    key = next(k for k in user.widgets if k.startswith("r0_") and k.endswith("_lr"))
    alone = [await user.set_number(key, 0.011 + 0.001 * i) for i in range(5)]
    states = WidgetStates()
    w = states.widgets.add()
    w.id, w.trigger_value = trainer.widgets["mn_train_button"], True
    during: list[float] = []
    done = asyncio.Event()

    async def train() -> float:
        seconds = await trainer.rerun_page("mnist", states)
        done.set()
        return seconds

    train_s, _ = await asyncio.gather(train(), _slide_until(user, key, done, during))
    med = lambda xs: 1000 * statistics.median(xs)
    print(
        f"training the CNN race (3 optimizers, 6,000 images) in one session took {train_s:.1f} s; meanwhile "
        f"another session's slider changes took median {med(during):.0f} ms, max {1000 * max(during):.0f} ms "
        f"({len(during)} changes), against {med(alone):.0f} ms with the server to itself"
    )
    return {"errors": trainer.exceptions + user.exceptions, "during": during, "alone": alone}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument(
        "--heavy", action="store_true", help="also: a big sweep, then an MNIST training race, beside a slider user"
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds each simulated user waits between changes (0: back to back)"
    )
    args = parser.parse_args()
    with Server() as server:
        print(f"server RSS before any session: {rss_mib(server.proc.pid):.0f} MiB")
        result = asyncio.run(run_sessions(server.base, args.sessions, args.changes, server.proc.pid, args.think))
        if args.heavy:
            result["errors"] += asyncio.run(heavy_neighbour(server.base))["errors"]
            result["errors"] += asyncio.run(mnist_neighbour(server.base))["errors"]
    if result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Memory within the hosted cap: a class and a few MNIST trainers on one hosted server, round after round.

Run:  .venv/bin/python benchmarks/bench_memory.py [--rounds 3] [--students 30] [--trainers 6] [--seconds 20]

One server as Streamlit Community Cloud runs it (plain `streamlit run app.py`, its forced
settings, an empty JAX cache; at most 2.7 GB there). Each round: ``--students`` sessions open
the eight class links (benchmarks/crowd.py's mix) and nudge every 2 s for ``--seconds``, while
``--trainers`` sessions open the MNIST page with different configurations (models, optimizers
and learning rates; a new learning rate every round, and with --new-programs a new
optimizer too) and press Train. Prints the server's RSS (every
process) after start-up, its peak during each round (sampled every 0.25 s) and after each
round; targets: peak under 2,700 MiB, and flat across rounds once the first has filled the
bounded caches (the last round's peak within 10% of the second's).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_hosted import hosted_server
from crowd import MIX, crowd
from protocol import Session

CAP_MIB = 2700
NEW_PROGRAMS = 0  # 1 with --new-programs
MODELS = ("cnn", "mlp", "logreg")
OPTIMIZERS = ("adam", "sgd", "rmsprop", "lion", "nadam", "adamw", "muon", "adafactor", "momentum")


def trainer_link(round_: int, i: int) -> str:
    """A different MNIST configuration per trainer and round (nothing cached from before): each
    trainer keeps its model and optimizer and tries a new learning rate, as a class does (with
    ``--new-programs``, a new optimizer every round too, so every round compiles new programs)."""
    model = MODELS[i % len(MODELS)]
    opt = OPTIMIZERS[(i + round_ * NEW_PROGRAMS) % len(OPTIMIZERS)]
    lr = 0.001 * (1 + round_) + 0.0001 * i
    return f"model={model}&opt={opt}:lr={lr:.4f}&opt=sgd:lr=0.05&epochs=1&train=6000&test=1000"


async def train(base: str, link: str) -> tuple[float, list[str]]:
    """Open the MNIST page at ``link``, press Train, wait until the script ends."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    s = Session(base, link, page="mnist")
    await s.connect()
    await s.rerun()
    states = WidgetStates()
    state = states.widgets.add()
    state.id = s.widgets["mn_train_button"]
    state.trigger_value = True
    t = time.perf_counter()
    await s.rerun(states)
    seconds = time.perf_counter() - t
    await s.close()
    return seconds, s.exceptions


async def sample_peak(server, stop: asyncio.Event) -> float:
    peak = 0.0
    while not stop.is_set():
        peak = max(peak, server.rss())
        await asyncio.sleep(0.25)
    return peak


async def one_round(server, round_: int, students: int, trainers: int, seconds: float) -> dict:
    stop = asyncio.Event()
    peak = asyncio.create_task(sample_peak(server, stop))
    class_run = crowd(server.base, MIX, students, seconds)
    trainings = [train(server.base, trainer_link(round_, i)) for i in range(trainers)]
    results = await asyncio.gather(class_run, *trainings)
    stop.set()
    return {"class": results[0], "trainings": results[1:], "peak": await peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--trainers", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--new-programs", action="store_true", help="a new optimizer per trainer every round")
    args = parser.parse_args()
    global NEW_PROGRAMS
    NEW_PROGRAMS = int(args.new_programs)
    with hosted_server("app.py") as server:
        asyncio.run(crowd(server.base, MIX[:1], 1, 0.0))  # the first visit boots it
        time.sleep(10)  # and its warm-up runs
        print(f"after start-up: {server.rss():.0f} MiB", flush=True)
        peaks = []
        for r in range(args.rounds):
            out = asyncio.run(one_round(server, r, args.students, args.trainers, args.seconds))
            errors = out["class"]["errors"] + [e for _, errs in out["trainings"] for e in errs]
            train_s = sorted(t for t, _ in out["trainings"])
            peaks.append(out["peak"])
            print(
                f"round {r + 1}: peak {out['peak']:.0f} MiB, after {server.rss():.0f} MiB; "
                f"{len(out['class']['nudges'])} nudges; training {train_s[0]:.1f}-{train_s[-1]:.1f} s; "
                f"errors {len(errors)}",
                flush=True,
            )
            for e in errors[:3]:
                print("  error:", e[:200])
    # The first round fills the bounded caches (races, runs, compiled programs); from then on a
    # steady class should hold steady.
    base = peaks[1] if len(peaks) > 1 else peaks[0]
    print(
        f"\npeak {max(peaks):.0f} MiB (cap {CAP_MIB}: {'within' if max(peaks) < CAP_MIB else 'OVER'}); "
        f"last round's peak / round 2's: {peaks[-1] / base:.2f} (target <= 1.10)"
    )


if __name__ == "__main__":
    main()

"""Cost estimates against the time each job really takes here, cold (first call: compiles) and warm.

Run:  .venv/bin/python benchmarks/bench_estimates.py

Every job the app queues states its seconds before it starts (optviz.core.engine.cost and each
job's ``estimated_seconds``); the queue and the "takes about ..." line read them. An estimate
should err long: this prints, per job kind and size, the estimate, the measured cold and warm
times (one process, the bundled MNIST subset), and estimate / cold (target: >= 1 for the jobs
that queue, so the queue's "starts in about" is not optimistic; and within about 10x of warm).
"""

from __future__ import annotations

import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from optviz.core.analysis import compare, landscape, lrfind, sharpness  # noqa: E402
from optviz.core.engine import sweep, training  # noqa: E402
from optviz.core.engine.devices import tune_for_this_cpu  # noqa: E402
from optviz.core.problems.mnist_data import load_bundled  # noqa: E402
from optviz.core.problems.surfaces import SURFACES  # noqa: E402
from optviz.core.spec import SweepAxis, parse_spec  # noqa: E402


def timed(fn) -> tuple[float, float]:
    """(cold, warm) seconds of two calls."""
    out = []
    for _ in range(2):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out[0], out[1]


def main() -> None:
    tune_for_this_cpu()
    data = load_bundled()
    labels = data.train_labels.astype(np.int32)
    P = parse_spec
    rows = []

    def row(name, estimate, fn):
        cold, warm = timed(fn)
        rows.append((name, estimate, cold, warm))
        print(
            f"{name:<44} estimate {estimate:7.2f} s  cold {cold:7.2f} s  warm {warm:7.2f} s"
            f"  est/cold {estimate / cold:5.2f}",
            flush=True,
        )

    for opt, side, steps in (("adam", 64, 200), ("newton", 128, 500), ("lbfgs:line_search=1", 64, 500)):
        spec = P(opt)
        x, y = SweepAxis("x", -5, 5, side), SweepAxis("y", -5, 5, side)
        row(
            f"sweep {opt} {side}x{side} {steps} steps",
            sweep.estimated_seconds(spec, side * side, steps),
            lambda spec=spec, x=x, y=y, steps=steps: sweep.run_sweep(SURFACES["rastrigin"], spec, x, y, steps=steps),
        )
    for model, opts, n in (("mlp", ["adam"], 6000), ("cnn", ["adam", "muon"], 2000)):
        specs = [P(o) for o in opts]
        row(
            f"training {model} {'+'.join(opts)} {n} images",
            training.estimated_seconds(model, specs, 1, n, 1000),
            lambda model=model, specs=specs, n=n: training.train_race(model, specs, data, 1, 60, n, 1000, 0, 10),
        )
    runs = training.train_race("cnn", [P("adam")], data, 1, 60, 2000, 1000, 0, 10, record_every=10)
    points = sum(len(r.snapshots) for r in runs)
    row(
        "landscape cnn 21x21 over 1000 images",
        landscape.estimated_seconds("cnn", 21, points, 1000),
        lambda: landscape.landscape("cnn", runs, "pca", 21, data.train_images[:1000], labels[:1000]),
    )
    row(
        "edge of stability mlp 200 steps x 1000",
        sharpness.estimated_seconds("mlp", P("sgd:lr=0.05"), 200, 1000),
        lambda: sharpness.edge_of_stability("mlp", P("sgd:lr=0.05"), data, 200, 12, 1000, 10),
    )
    specs = [P("adam"), P("lbfgs:line_search=1")]
    row(
        "compare adam+lbfgs 4 surfaces x 3 starts x 12",
        compare.estimated_seconds(specs, compare.DEFAULT_SURFACES, 3, 1, 12, 500),
        lambda: compare.compare(specs, compare.DEFAULT_SURFACES, 3, 1, 12, "lr", 500),
    )
    row(
        "range test mnist cnn adam",
        lrfind.estimated_seconds_mnist("cnn", P("adam")),
        lambda: lrfind.lr_range_test_mnist("cnn", P("adam"), data),
    )
    row(
        "range test rosenbrock nadam",
        lrfind.estimated_seconds_surface(P("nadam")),
        lambda: lrfind.lr_range_test_surface(SURFACES["rosenbrock"], P("nadam")),
    )
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    short = [name for name, est, cold, _ in rows if est >= 1.0 and est < cold]
    print("estimates under the cold time (queued jobs):", ", ".join(short) or "none")


if __name__ == "__main__":
    main()

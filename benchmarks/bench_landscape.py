"""Loss landscape as a user meets it: the seed's CNN, a 21x21 PCA slice over 1,000 training
images, with both paths' true and slice losses, in a fresh process (compile included).

Run:  .venv/bin/python benchmarks/bench_landscape.py [--grid 21] [--model cnn]

Prints, for one fresh process: the landscape's first call (what the MNIST page waits for after
training, behind its progress bar) and a second call, and beside them the floor: the same
number of model evaluations (grid points and path points, 1,000 images each) as one batched
forward pass per block of points, timed alone. Also the whole `python -m optviz landscape`
command (training the race included) as a user runs it.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CHILD = """
import sys, time
sys.path.insert(0, {root!r})
import numpy as np
from optviz.core.engine.devices import tune_for_this_cpu
tune_for_this_cpu()  # as the app and the CLI do
from optviz.core.problems.mnist_data import load_bundled
from optviz.core.analysis.landscape import BLOCK, _block_loss_fns, _chunked, landscape
from optviz.core.engine.training import train_race
from optviz.core.spec import parse_spec
data = load_bundled()
runs = train_race({model!r}, [parse_spec("adam"), parse_spec("sgd:lr=0.1")], data, 1, 60, 12000, 2000, 0,
                  record_every=5)
images, labels = data.train_images[:1000], data.train_labels[:1000].astype(np.int32)
for label in ("first", "second"):
    t = time.perf_counter()
    out = landscape({model!r}, runs, "pca", {grid}, images, labels)
    print(label, time.perf_counter() - t, flush=True)
points = {grid} ** 2 + 2 * sum(len(r.snapshots) for r in runs)
block, (xs, ys) = _block_loss_fns({model!r})[0], _chunked(images, labels)
stack = np.stack([runs[0].snapshots[-1]] * BLOCK)
block(stack, xs, ys).block_until_ready()
t = time.perf_counter()
for _ in range(4):
    block(stack, xs, ys).block_until_ready()
print("floor", (time.perf_counter() - t) / 4 / BLOCK * points, points)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=21)
    ap.add_argument("--model", default="cnn")
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; {args.model}, {args.grid}x{args.grid} PCA slice, "
        "1,000 images, two optimizers' paths"
    )
    code = CHILD.format(root=ROOT, model=args.model, grid=args.grid)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    times = {line.split()[0]: line.split()[1:] for line in out if line.strip()}
    first, second = float(times["first"][0]), float(times["second"][0])
    floor, points = float(times["floor"][0]), int(times["floor"][1])
    print(f"landscape, first call in a fresh process (compiles): {first:.2f} s   target <= 10 s")
    print(f"landscape, second call:                              {second:.2f} s")
    print(
        f"floor: {points} model evaluations over 1,000 images, timed alone: {floor:.2f} s "
        f"(second call / floor = {second / floor:.2f})"
    )
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "optviz",
            "landscape",
            "--model",
            args.model,
            "--opt",
            "adam",
            "--opt",
            "sgd:lr=0.1",
            "--grid",
            str(args.grid),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    print(f"`python -m optviz landscape` (trains the race first): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()

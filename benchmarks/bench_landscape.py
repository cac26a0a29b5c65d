"""Loss landscape: the time of one 41x41 slice of the MLP's loss (1,681 losses over 1,000
training images, one jitted call), after a short race that records the paths.

Run:  .venv/bin/python benchmarks/bench_landscape.py
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from optviz.mnist.data import load_bundled  # noqa: E402
from optviz.mnist.landscape import grid_axes, pca_plane, slice_losses  # noqa: E402
from optviz.mnist.train import train_race  # noqa: E402
from optviz.spec import parse_spec  # noqa: E402

if __name__ == "__main__":
    data = load_bundled()
    runs = train_race("mlp", [parse_spec("adam"), parse_spec("sgd:lr=0.1")], data, 1, 60, 6000, 1000, 0,
                      record_every=10)
    plane = pca_plane([np.stack(r.snapshots) for r in runs])
    alphas, betas = grid_axes([plane.project(np.stack(r.snapshots)) for r in runs], 41)
    images, labels = data.train_images[:1000], data.train_labels[:1000].astype(np.int32)
    slice_losses("mlp", plane, alphas[:3], betas[:3], images, labels)  # compile the 3x3 shape apart
    for label in ("first call (compiles)", "second call"):
        t = time.perf_counter()
        loss = slice_losses("mlp", plane, alphas, betas, images, labels)
        print(f"MLP, 41x41 grid over 1,000 images, {label}: {time.perf_counter() - t:.2f} s "
              f"(loss from {loss.min():.3f} to {loss.max():.3f})")

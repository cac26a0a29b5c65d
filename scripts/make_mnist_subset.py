"""Build optviz/core/problems/data/mnist_subset.npz from the full MNIST files: the first 12,000 training and the
first 2,000 test images with their labels, verified against the canonical checksums.

Run:  .venv/bin/python scripts/make_mnist_subset.py [../shared/mnist]
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from optviz.core.problems.mnist_data import BUNDLED, load_folder

TRAIN, TEST = 12_000, 2_000

if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "mnist")
    full = load_folder(folder)
    np.savez_compressed(
        BUNDLED,
        train_images=full.train_images[:TRAIN],
        train_labels=full.train_labels[:TRAIN],
        test_images=full.test_images[:TEST],
        test_labels=full.test_labels[:TEST],
    )
    print(f"wrote {BUNDLED}: {os.path.getsize(BUNDLED) / 1e6:.1f} MB")

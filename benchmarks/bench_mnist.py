"""MNIST: the seed's CNN with Adam (lr 1e-3, batch 60) for one epoch of the full 60,000 images,
optviz (JAX) against the same model trained the same way in PyTorch, same machine, same run.

Run:  .venv/bin/python benchmarks/bench_mnist.py [--data ../shared/mnist] [--epochs 1]
(needs the full MNIST files and `pip install torch==2.13.0`)
Prints training throughput (images per second, the first epoch's compile excluded for JAX
by timing a second identical run) and accuracy on the first 2,000 test images.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from optviz.mnist.data import load_folder  # noqa: E402
from optviz.mnist.train import train_race  # noqa: E402
from optviz.spec import parse_spec  # noqa: E402


def optviz_run(data, epochs: int) -> tuple[float, float]:
    args = ("cnn", [parse_spec("adam:lr=0.001")], data, epochs, 60, 60_000, 2_000, 0)
    train_race("cnn", [parse_spec("adam:lr=0.001")], data, 1, 60, 600, 100, 0)  # compile outside the timing
    run = train_race(*args)[0]
    return run.seconds, run.test_accuracy[-1]  # training time; accuracy measurement is timed apart


def torch_run(data, epochs: int) -> tuple[float, float]:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(13 * 13 * 32, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.tensor(data.train_images, dtype=torch.float32).unsqueeze(1) / 255.0
    y = torch.tensor(data.train_labels, dtype=torch.long)
    loss_fn = nn.CrossEntropyLoss()
    t = time.perf_counter()
    for e in range(epochs):
        order = torch.tensor(np.random.default_rng(e).permutation(60_000)[:60_000 // 60 * 60])
        for i in range(0, len(order), 60):
            idx = order[i:i + 60]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        xt = torch.tensor(data.test_images[:2000], dtype=torch.float32).unsqueeze(1) / 255.0
        acc = float((model(xt).argmax(1).numpy() == data.test_labels[:2000]).mean())
    return seconds, acc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "mnist"))
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    data = load_folder(args.data)
    n = 60_000 * args.epochs
    rows = [("optviz (JAX, one jitted step per batch)",) + optviz_run(data, args.epochs)]
    try:
        import torch

        rows.append((f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)",) + torch_run(data, args.epochs))
    except ImportError:
        print("(torch not installed: pip install torch==2.13.0)")
    print(f"CNN, Adam lr=1e-3, batch 60, {args.epochs} epoch(s) of 60,000 images; accuracy on the first 2,000 test images")
    for name, seconds, acc in rows:
        print(f"{name:50s} {seconds:6.1f} s  {n / seconds:7.0f} images/s  test accuracy {acc:.2%}")
    if len(rows) == 2:
        print(f"throughput optviz / PyTorch: {rows[1][1] / rows[0][1]:.2f}x")


if __name__ == "__main__":
    main()

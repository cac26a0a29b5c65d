"""MNIST training as a user runs it: whole processes, optviz's CLI against the same model trained
the same way in PyTorch, same machine, same run.

Run:  .venv/bin/python benchmarks/bench_mnist.py [--data ../shared/mnist] [--repeats 3]
(needs the full MNIST files and `pip install torch==2.13.0`)

Workload: the seed's CNN, Adam lr 1e-3, batch 60, one epoch of the first N training images,
accuracy on the first 2,000 test images. Each side is a fresh process (imports, data loading,
compilation, training, evaluation), run for N = 30,000 and N = 60,000; the marginal rate is
30,000 / (time(60,000) - time(30,000)): what each further image costs a user once the fixed
costs are paid. The runs alternate between the two sides, and each time is the best of
--repeats, because this virtual machine's speed drifts from minute to minute.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TORCH = """
import sys, numpy as np, torch
from torch import nn
sys.path.insert(0, {root!r})
from optviz.core.problems.mnist_data import load_folder
data, n = load_folder({data!r}), {n}
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(13 * 13 * 32, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.tensor(data.train_images[:n], dtype=torch.float32).unsqueeze(1) / 255.0
y = torch.tensor(data.train_labels[:n], dtype=torch.long)
loss_fn = nn.CrossEntropyLoss()
order = torch.tensor(np.random.default_rng(0).permutation(n)[: n // 60 * 60])
for i in range(0, len(order), 60):
    idx = order[i:i + 60]
    opt.zero_grad(set_to_none=True)
    loss_fn(model(x[idx]), y[idx]).backward()
    opt.step()
with torch.no_grad():
    xt = torch.tensor(data.test_images[:2000], dtype=torch.float32).unsqueeze(1) / 255.0
    print(float((model(xt).argmax(1).numpy() == data.test_labels[:2000]).mean()))
"""


def optviz_cmd(data: str, n: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "optviz",
        "mnist",
        "--model",
        "cnn",
        "--opt",
        "adam:lr=0.001",
        "--batch-size",
        "60",
        "--train-size",
        str(n),
        "--test-size",
        "2000",
        "--epochs",
        "1",
        "--data",
        data,
        "--json",
    ]


def torch_cmd(data: str, n: int) -> list[str]:
    return [sys.executable, "-c", TORCH.format(root=ROOT, data=data, n=n)]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, test accuracy) of one process."""
    import json

    t = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - t
    value = json.loads(out.strip().splitlines()[-1] if not out.lstrip().startswith("{") else out)
    acc = value["runs"][0]["test_accuracy"][-1] if isinstance(value, dict) else float(value)
    return seconds, acc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "mnist"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = os.path.abspath(args.data)
    try:
        import torch

        sides = {"optviz": optviz_cmd, f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)": torch_cmd}
    except ImportError:
        print("(torch not installed: pip install torch==2.13.0; optviz alone)")
        sides = {"optviz": optviz_cmd}
    best: dict[tuple[str, int], tuple[float, float]] = {}
    for _ in range(args.repeats):
        for n in (30_000, 60_000):
            for name, cmd in sides.items():
                seconds, acc = timed(cmd(data, n))
                if (name, n) not in best or seconds < best[name, n][0]:
                    best[name, n] = (seconds, acc)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores. The seed's CNN, Adam lr=1e-3, batch 60, one epoch "
        f"of N images, whole processes (best of {args.repeats}); accuracy on the first 2,000 test images"
    )
    rates = {}
    for name in sides:
        (t30, _), (t60, acc) = best[name, 30_000], best[name, 60_000]
        rates[name] = 30_000 / (t60 - t30)
        print(
            f"{name:32s} N=30,000: {t30:5.1f} s  N=60,000: {t60:5.1f} s  marginal {rates[name]:6.0f} images/s  "
            f"test accuracy {acc:.2%}"
        )
    if len(rates) == 2:
        ours, theirs = rates.values()
        print(f"marginal throughput optviz / PyTorch: {ours / theirs:.2f}x   (target >= 1.5x)")


if __name__ == "__main__":
    main()

"""Start-up cost of the installed set: whole processes, side by side with another environment.

Run:  .venv/bin/python benchmarks/bench_imports.py [--other /path/to/venv/bin/python] [--crowds 5]

For each interpreter (this one, and ``--other`` if given: a virtual environment that differs in
one package, say ml_dtypes), interleaved, best of ``--repeats``:

- ``import jax`` in a fresh process, and ``python -X importtime``'s own figure for ml_dtypes;
- ``optviz optimizers``, a whole CLI process;
- with ``--crowds N``: N fresh hosted servers each (benchmarks/bench_hosted.py's settings, an
  empty compilation cache), 30 protocol-level students opening the default view at once: the
  last first page, best and median.

Prints each side's figures and, with ``--other``, the ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CROWD = """
import sys, asyncio
sys.path.insert(0, {bench!r})
from bench_hosted import hosted_server
from crowd import crowd
with hosted_server("app.py") as s:
    print(max(asyncio.run(crowd(s.base, [""], 30, 2.0))["first"]))
"""


def _seconds(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - t


def _ml_dtypes_import(python: str) -> float:
    """ml_dtypes' cumulative import time in a fresh process, as -X importtime reports it."""
    err = subprocess.run([python, "-X", "importtime", "-c", "import ml_dtypes"], capture_output=True, text=True).stderr
    (line,) = [x for x in err.splitlines() if re.search(r"\|\s*ml_dtypes$", x)]
    return int(line.split("|")[1]) / 1e6


def _last_first_page(python: str) -> float:
    code = CROWD.format(bench=os.path.join(ROOT, "benchmarks"))
    out = subprocess.run([python, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", help="another environment's python, measured beside this one")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--crowds", type=int, default=0, help="fresh hosted servers per side (30 students each)")
    args = parser.parse_args()
    sides = {"this": sys.executable, **({"other": args.other} if args.other else {})}
    for name, python in sides.items():
        version = subprocess.run(
            [python, "-c", "import ml_dtypes, jax; print(ml_dtypes.__version__, jax.__version__)"],
            capture_output=True,
            text=True,
        ).stdout.split()
        print(f"{name}: {python} (ml_dtypes {version[0]}, jax {version[1]})")
    figures: dict[str, dict[str, list[float]]] = {n: {} for n in sides}
    for _ in range(args.repeats):
        for name, python in sides.items():
            figures[name].setdefault("ml_dtypes import", []).append(_ml_dtypes_import(python))
            figures[name].setdefault("import jax", []).append(_seconds([python, "-c", "import jax"]))
            figures[name].setdefault("optviz optimizers", []).append(_seconds([python, "-m", "optviz", "optimizers"]))
    for _ in range(args.crowds):
        for name, python in sides.items():
            figures[name].setdefault("last first page of 30", []).append(_last_first_page(python))
    for what in figures["this"]:
        row = "; ".join(
            f"{name} best {min(f[what]):.3f} s, median {statistics.median(f[what]):.3f} s"
            for name, f in figures.items()
        )
        ratio = ""
        if args.other:
            ratio = f"; this/other, bests: {min(figures['this'][what]) / min(figures['other'][what]):.2f}"
        print(f"{what}: {row}{ratio}")


if __name__ == "__main__":
    main()

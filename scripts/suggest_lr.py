"""Write optviz/suggested.py's table: each catalogue surface's suggested learning rate for each optimizer.

Run:  .venv/bin/python scripts/suggest_lr.py   (a few minutes; rerun when an optimizer or a surface
is added, or the criteria in optviz/suggested.py change: tests/test_suggested.py says when)

For every surface and every optimizer offered on the surfaces, each stop of the optimizer's lr
slider runs BUDGET steps from the surface's default start, every other hyperparameter at its
default, and :func:`optviz.core.analysis.suggested.choose` picks (or says why there is no pick).
"""

from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from optviz.core.analysis.suggested import compute
from optviz.core.optimizers import SURFACE_NAMES
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import format_number

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "optviz", "core", "analysis", "suggested.py")


def main() -> None:
    table: dict[str, dict[str, float]] = {}
    reasons: dict[str, dict[str, str]] = {}
    for surface in SURFACES.values():
        table[surface.name], reasons[surface.name] = {}, {}
        for name in SURFACE_NAMES:
            lr, why = compute(surface.name, name)
            if lr is None:
                reasons[surface.name][name] = why
                print(f"{surface.name:16s} {name:10s} none: {why}", flush=True)
            else:
                table[surface.name][name] = lr
                print(f"{surface.name:16s} {name:10s} lr={lr:g}", flush=True)
    with open(TARGET) as f:
        head = f.read().split("# --- generated below")[0]
    lines = [head + "# --- generated below by scripts/suggest_lr.py; do not edit by hand\n", "SUGGESTED_LR = {"]
    for surface, row in table.items():
        items = ", ".join(f'"{k}": {format_number(v)}' for k, v in row.items())
        lines.append(f'    "{surface}": {{{items}}},')
    lines += ["}", "", "NO_SUGGESTION = {"]
    for surface, row in reasons.items():
        items = ", ".join(f'"{k}": "{v}"' for k, v in row.items())
        lines.append(f'    "{surface}": {{{items}}},')
    lines.append("}\n")
    with open(TARGET, "w") as f:
        f.write("\n".join(lines))
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", TARGET], check=False)  # as `make lint` wants it


if __name__ == "__main__":
    main()

"""Write optviz/suggested.py: each catalogue surface's suggested learning rate for each optimizer.

Run:  .venv/bin/python scripts/suggest_lr.py   (about two minutes; rerun when an optimizer or a
surface is added, tests/test_suggested.py says when it is needed)

The suggestion is the lr, among the stops of the optimizer's slider (1, 1.5, 2, 3, 5, 7 times
each power of ten in its range), whose run from the surface's default start, for BUDGET steps
without noise and with every other hyperparameter at its default, has the lowest mean of
log10(f - min f) over its steps: fast and steady descent. (The lowest final loss alone picks
rates at the edge of divergence, whose paths bounce across the plot.) Surfaces without a
minimum use the mean loss. A run that diverges or leaves the picture is never suggested.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from optviz.optimizers import REGISTRY, SURFACE_NAMES  # noqa: E402
from optviz.spec import format_number, make_spec  # noqa: E402
from optviz.suggested import BUDGET, score  # noqa: E402
from optviz.surfaces import SURFACES  # noqa: E402
from optviz.trajectory import run_one  # noqa: E402
from optviz.ui.state import slider_stops  # noqa: E402

TARGET = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "optviz", "suggested.py")


def main() -> None:
    table: dict[str, dict[str, float]] = {}
    for surface in SURFACES.values():
        table[surface.name] = {}
        for name in SURFACE_NAMES:
            stops = slider_stops(REGISTRY[name].hparam("lr"))
            scores = [score(run_one(surface, surface.start, BUDGET, make_spec(name, {"lr": lr})), surface)
                      for lr in stops]
            best = int(np.argmin(scores))
            if not np.isfinite(scores[best]):
                print(f"{surface.name:16s} {name:10s} no lr keeps the path in the picture: none suggested")
                continue
            table[surface.name][name] = stops[best]
            print(f"{surface.name:16s} {name:10s} lr={stops[best]:g} score {scores[best]:.3g}", flush=True)
    with open(TARGET) as f:
        head = f.read().split("# --- generated below")[0]
    lines = [head + "# --- generated below by scripts/suggest_lr.py; do not edit by hand\n", "SUGGESTED_LR = {"]
    for surface, row in table.items():
        items = ", ".join(f'"{k}": {format_number(v)}' for k, v in row.items())
        lines.append(f'    "{surface}": {{{items}}},')
    lines.append("}\n")
    with open(TARGET, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()

"""A fair race: each optimizer's learning rate tuned on the same log grid, with the same budget."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optviz.core.engine.sweep import run_cells, sweep_features
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import Surface
from optviz.core.spec import OptSpec, SweepAxis, make_spec

TUNING_POINTS = 41
# How far a grid value may move from its exact log-spaced place when it is shortened.
SHORTENING = 0.02


def short_log_grid(low: float, high: float, points: int) -> tuple[float, ...]:
    """``points`` log-spaced values from ``low`` to ``high``, each in the fewest significant digits
    (at least two) that keep every value distinct and within 2% of its exact place.

    A tuned value is then short to read and to put in a link, and it is the very value whose
    run won: a rounded lr would race another race (on Rosenbrock, Adam at lr=0.5623413 ends
    at 0.00135 and at lr=0.5623 at 9.11).
    """
    exact = SweepAxis("lr", low, high, points, log=True).values
    for digits in range(2, 17):
        short = tuple(float(f"{v:.{digits}g}") for v in exact)
        close = all(abs(s / e - 1) <= SHORTENING for s, e in zip(short, exact))
        if close and len(set(short)) == len(short):
            return short
    return exact


class Tuned(NamedTuple):
    """The outcome of tuning one optimizer's learning rate."""

    spec: OptSpec  # the optimizer at its best lr (unchanged when every lr diverged)
    final_loss: float  # the best run's final loss; inf when every lr diverged
    edge: str | None  # "lowest" or "highest" when the best lr is at that end of the grid, else None
    grid: tuple[float, ...]  # the learning rates tried


def tune_lr(
    surface: Surface, spec: OptSpec, start, steps: int, noise: float = 0.0, seed: int = 0, points: int = TUNING_POINTS
) -> Tuned:
    """The spec with the lr (over the registry's slider range, on :func:`short_log_grid`) that ends lowest.

    Every optimizer gets the same number of grid points and steps, in one sweep-engine call.
    """
    grid = short_log_grid(*REGISTRY[spec.name].hparam("lr").slider, points)
    hps = {k: np.asarray(v, np.float32) for k, v in spec.settings().items()}
    hps["lr"] = np.asarray(grid, np.float32)
    starts = np.tile(np.asarray(start, np.float32), (len(grid), 1))
    _, loss, _, died = run_cells(surface, spec.name, starts, hps, steps, 1e-3, noise, seed, sweep_features(spec))
    losses = np.where(died != 0, np.inf, loss)
    if not np.isfinite(losses).any():
        return Tuned(spec, math.inf, None, grid)
    best = int(np.argmin(losses))  # ties go to the smaller lr
    edge = "lowest" if best == 0 else "highest" if best == len(grid) - 1 else None
    return Tuned(make_spec(spec.name, dict(spec.hparams, lr=grid[best])), float(losses[best]), edge, grid)

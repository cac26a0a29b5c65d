"""A fair race: each optimizer's learning rate tuned on the same log grid, with the same budget."""

from __future__ import annotations

import numpy as np

from .optimizers import REGISTRY
from .spec import OptSpec, SweepAxis, make_spec
from .surfaces import Surface
from .sweep import run_sweep

TUNING_POINTS = 41


def tune_lr(surface: Surface, spec: OptSpec, start, steps: int, noise: float = 0.0, seed: int = 0,
            points: int = TUNING_POINTS) -> tuple[OptSpec, float]:
    """The spec with the lr (over the registry's slider range, log grid) that ends lowest.

    Every optimizer gets the same number of grid points and steps. Returns the tuned spec and
    its final loss (inf when every lr diverged; the spec is then unchanged).
    """
    lo, hi = REGISTRY[spec.name].hparam("lr").slider
    lr_axis = SweepAxis("lr", lo, hi, points, log=True)
    fixed = SweepAxis("y", float(start[1]), float(start[1]), 1)
    result = run_sweep(surface, spec, lr_axis, fixed, start, steps, noise=noise, seed=seed)
    losses = np.where(result.diverged[0], np.inf, result.final_loss[0])
    if not np.isfinite(losses).any():
        return spec, float("inf")
    best = int(np.argmin(losses))  # ties go to the smaller lr
    # The grid value itself, not a rounded one: on Rosenbrock lr=0.5623413 ends at 0.00135 and
    # lr=0.5623 at 9.11, so a rounded lr races a different race than the one that won.
    return make_spec(spec.name, dict(spec.hparams, lr=float(lr_axis.values[best]))), float(losses[best])

"""The Learn page's demos as data, and what each shows measured over its own runs.

A demo is a race (surface, start, steps, racers) and a sentence; the sentence's numbers come
from the runs here, and tests/core/analysis/test_demos.py checks that each run shows what its
sentence says (a demo whose claim fails is a failing test, not a page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.core.engine.trajectory import Run, run_one
from optviz.core.problems.surfaces import SURFACES, Surface
from optviz.core.spec import format_number, parse_surface_spec


@dataclass(frozen=True)
class Demo:
    """One race a demo runs: a catalogue surface, a start, a number of steps and racers (SPECs)."""

    surface: str
    start: tuple[float, float]
    steps: int
    opts: tuple[str, ...]

    def runs(self) -> list[Run]:
        """Every racer's run."""
        surface = SURFACES[self.surface]
        return [run_one(surface, self.start, self.steps, parse_surface_spec(o)) for o in self.opts]


def gap(run: Run, surface: Surface) -> float:
    """How far above the surface's minimum a run ends (inf if it left nothing finite; float32
    rounding below the minimum counts as 0)."""
    if not len(run.loss):
        return float("inf")
    return max(float(run.loss[-1]) - (surface.f_min if surface.f_min is not None else 0.0), 0.0)


def left_picture_at(run: Run, surface: Surface) -> int | None:
    """The first step at which a run is outside the surface's drawn domain (None: it never is)."""
    x0, x1, y0, y1 = surface.domain
    p = run.path
    out = (p[:, 0] < x0) | (p[:, 0] > x1) | (p[:, 1] < y0) | (p[:, 1] > y1)
    return int(np.argmax(out)) if out.any() else None


def first_step(run: Run) -> float:
    """The length of a run's first step."""
    return float(np.linalg.norm(run.path[1] - run.path[0]))


# Bias correction: without it, Adam's first steps are (1 - β1)/√(1 - β2) ≈ 3.2 times longer.
BIAS = Demo("cliff", SURFACES["cliff"].start, 100, ("adam:lr=0.1", "adam:lr=0.1,bias_correction=0"))
# Warmup: at a large lr, Adam's first full-size steps throw it off the cliff; ramping up does not.
WARMUP = Demo("cliff", SURFACES["cliff"].start, 600, ("adam:lr=1", "adam:lr=1,warmup=100"))
# AMSGrad: its v̂ never shrinks, so where the gradients fall it keeps stepping small.
AMSGRAD = Demo("rosenbrock", SURFACES["rosenbrock"].start, 500, ("adam:lr=0.05,b2=0.99", "amsgrad:lr=0.05,b2=0.99"))
# SGD on both sides of 2/η on the ellipse (sharpness 25 everywhere: 2/η = 25 at η = 0.08).
EDGE = Demo("ellipse", (-1.8, 0.6), 120, ("sgd:lr=0.078", "sgd:lr=0.082"))


@dataclass(frozen=True)
class Facts:
    """What a two-racer demo's runs show: each run's first step, final gap above the minimum,
    and the step it left the picture (None: never)."""

    first: tuple[float, float]
    gaps: tuple[float, float]
    left: tuple[int | None, int | None]


def facts(demo: Demo, runs: list[Run] | None = None) -> Facts:
    """The numbers a demo's sentence quotes, from its runs (computed here if not given)."""
    runs = demo.runs() if runs is None else runs
    surface = SURFACES[demo.surface]
    a, b = runs
    return Facts(
        (first_step(a), first_step(b)),
        (gap(a, surface), gap(b, surface)),
        (left_picture_at(a, surface), left_picture_at(b, surface)),
    )


def ema_weights(beta: float, k: int) -> np.ndarray:
    """The weight of the gradient j steps ago in an exponential average m = β m + (1 − β) g, j = 0..k-1."""
    return (1 - beta) * beta ** np.arange(k)


def window(beta: float) -> int:
    """The average's memory in steps, about 1/(1 − β) (at least 1)."""
    return max(1, round(1 / (1 - beta)))


def window_share(beta: float) -> float:
    """The share of the weight the last :func:`window` gradients carry: 1 − β^window, near 1 − 1/e."""
    return float(ema_weights(beta, window(beta)).sum())


def momentum_demo(b1: float) -> Demo:
    """Adam on Rosenbrock with this β1: its path shows what a longer memory does."""
    return Demo("rosenbrock", SURFACES["rosenbrock"].start, 300, (f"adam:lr=0.05,b1={format_number(b1)}",))


WARMUPS = (0, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300)  # the warmup demo's lengths (steps)


def warmup_demo(warmup: int) -> Demo:
    """Adam at lr = 1 on the cliff with ``warmup`` steps of warmup (600 steps)."""
    return Demo("cliff", SURFACES["cliff"].start, 600, (f"adam:lr=1,warmup={warmup}" if warmup else "adam:lr=1",))

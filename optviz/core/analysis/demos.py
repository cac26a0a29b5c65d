"""The Learn page's demos as data, and what each shows measured over its own runs.

A demo is a race (surface, start, steps, racers) and a sentence; the sentence's numbers come
from the runs here, and tests/core/analysis/test_demos.py checks that each run shows what its
sentence says (a demo whose claim fails is a failing test, not a page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.core.engine.trajectory import Run, run_one
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.formulas import custom_surface
from optviz.core.problems.surfaces import SURFACES, Surface
from optviz.core.spec import OptSpec, format_number, parse_surface_spec


@dataclass(frozen=True)
class Demo:
    """One race a demo runs: a catalogue surface (or, with surface "custom", the formula ``expr``
    over ``domain``), a start, a number of steps and racers (SPECs)."""

    surface: str
    start: tuple[float, float]
    steps: int
    opts: tuple[str, ...]
    expr: str = ""
    domain: tuple[float, float, float, float] | None = None
    rules: tuple[str, ...] = ()  # typed optimizer rules the racers may name (optviz.core.optimizers.rules)

    @property
    def problem(self) -> Surface:
        """The surface the demo runs on."""
        if self.expr:
            assert self.domain is not None, "a formula demo names its domain"
            return custom_surface(self.expr, self.domain)
        return SURFACES[self.surface]

    def specs(self) -> list[OptSpec]:
        """The racers, their rules known by name."""
        with in_scope(self.rules):
            return [parse_surface_spec(o) for o in self.opts]

    def runs(self) -> list[Run]:
        """Every racer's run."""
        return [run_one(self.problem, self.start, self.steps, spec) for spec in self.specs()]


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
    surface = demo.problem
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


# What an optimizer does: SGD on the bowl f = x² + y² (gradient 2p), each step p ← p − lr·2p = (1 − 2 lr) p.
SGD_LRS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.95, 1.05)


def sgd_demo(lr: float) -> Demo:
    """SGD on the bowl at this lr, 25 steps from the bowl's start."""
    return Demo("bowl", SURFACES["bowl"].start, 25, (f"sgd:lr={format_number(lr)}",))


def sgd_factor(lr: float) -> float:
    """What one SGD step multiplies the distance to the bowl's minimum by: 1 − 2 lr (the Hessian is 2I)."""
    return 1 - 2 * lr


# Adaptive rates: the ellipse ½(x² + κy²) at several steepnesses κ. RMSprop divides each coordinate
# by its own gradient scale, so its path is the same for every κ; SGD must keep lr under 2/κ.
KAPPAS = (1.0, 5.0, 25.0, 100.0, 400.0)
KAPPA_DOMAIN = (-2.0, 2.0, -1.0, 1.0)


def kappa_demo(kappa: float) -> Demo:
    """SGD at 80% of its stability limit 2/κ and RMSprop at lr = 0.05 on ½(x² + κy²), 60 steps."""
    expr = f"0.5*(x**2 + {format_number(kappa)}*y**2)"
    opts = (f"sgd:lr={format_number(1.6 / kappa)}", "rmsprop:lr=0.05")
    return Demo("custom", (-1.8, 0.6), 60, opts, expr=expr, domain=KAPPA_DOMAIN)


# Learning rate and stability: SGD on the ellipse (sharpness 25) at several η; 2/η = 25 at η = 0.08.
ETAS = (0.02, 0.05, 0.07, 0.078, 0.082, 0.09)


# The scrubber's η values across 2/η = 25: 0.01 to 0.1, a hair either side of 0.08 among them.
ETA_FAN = tuple(sorted({*(round(float(v), 4) for v in np.linspace(0.01, 0.1, 46)), 0.078, 0.082}))


def eta_demo(eta: float) -> Demo:
    """SGD at lr = ``eta`` on the ellipse, EDGE's start and length."""
    return Demo("ellipse", EDGE.start, EDGE.steps, (f"sgd:lr={format_number(eta)}",))


# Adam = momentum + adaptive rates: one run whose every quantity the seven steps name is shown live.
SEVEN = Demo("beale", SURFACES["beale"].start, 50, ("adam:lr=0.05",))
SEVEN_STEPS = tuple(range(1, SEVEN.steps + 1))


def seven_steps(run: Run, hp: dict[str, float], t: int) -> dict[str, np.ndarray]:
    """Adam's seven quantities at step ``t`` (1-based) of ``run``, from its recorded state and path:
    g (recovered from m: g_t = (m_t − β1 m_(t−1))/(1 − β1)), m, v, m̂, v̂, the step Δ and x before
    and after. Float64 from the float32 records."""
    s = {k: np.asarray(v, np.float64) for k, v in run.state.items()}
    b1 = hp["b1"]
    m_prev = s["m"][t - 2] if t > 1 else np.zeros(2)
    path = np.asarray(run.path, np.float64)
    return {
        "g": (s["m"][t - 1] - b1 * m_prev) / (1 - b1),
        "m": s["m"][t - 1],
        "v": s["v"][t - 1],
        "m_hat": s["m_hat"][t - 1],
        "v_hat": s["v_hat"][t - 1],
        "step": path[t - 1] - path[t],
        "x_before": path[t - 1],
        "x": path[t],
    }


# L2 against decoupled weight decay on the ellipse: the strengths λ the figure offers.
DECAYS = (0.1, 0.3, 1.0, 3.0)

# SWATS from Adam to SGD on Himmelblau at several learning rates.
SWATS_LRS = (0.01, 0.03, 0.1)


def swats_demo(lr: float) -> Demo:
    """SWATS (ε = 1e-4) and Adam with the same lr on Himmelblau, 300 steps."""
    return Demo(
        "himmelblau",
        SURFACES["himmelblau"].start,
        300,
        (f"swats:lr={format_number(lr)},eps=0.0001", f"adam:lr={format_number(lr)}"),
    )


# Take Adam apart: Adam as a rule, one line changed, raced against Adam where the change shows.
ADAM_RULE = (
    "adam_rule: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; "
    "p = p - lr*(m/(1 - b1**t))/(sqrt(v/(1 - b2**t)) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8"
)
NO_CORRECTION = (
    "uncorrected: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; "
    "p = p - lr*m/(sqrt(v) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8"
)
NO_ROOT = (
    "unrooted: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; "
    "p = p - lr*(m/(1 - b1**t))/(v/(1 - b2**t) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8"
)
SIGNED = "signed: m = b1*m + (1 - b1)*g; p = p - lr*sign(m) | lr=0.001, b1=0.9"
APART: dict[str, Demo] = {
    "no bias correction": Demo(
        "cliff", SURFACES["cliff"].start, 100, ("adam:lr=0.1", "uncorrected:lr=0.1"), rules=(NO_CORRECTION,)
    ),
    "v in place of √v": Demo(
        "beale", SURFACES["beale"].start, 300, ("adam:lr=0.05", "unrooted:lr=0.05"), rules=(NO_ROOT,)
    ),
    "sign(m), as Lion": Demo("bowl", SURFACES["bowl"].start, 300, ("adam:lr=0.05", "signed:lr=0.05"), rules=(SIGNED,)),
}


# Learn, section 11: the flat-minima side of the debate. A deep, sharp well at (1, 0) and a
# shallower, wide one at (-1, 0); both racers start in the sharp one's basin, with the same lr and
# momentum: momentum settles at its bottom, SAM (rho = 0.3, wider than the well) climbs out and
# settles in the wide one. (At rho = 0.5 SAM stalls at x = 0.5, where its ascent point is the sharp
# minimum itself and the gradient there is zero.)
TWO_WELLS = "1 - 1.2*exp(-((x-1)**2 + y**2)/0.02) - exp(-((x+1)**2 + y**2)/1.5)"
FLAT_MINIMA = Demo(
    "custom",
    (1.2, 0.15),
    400,
    ("momentum:lr=0.01,momentum=0.9", "sam:lr=0.01,rho=0.3,momentum=0.9"),
    expr=TWO_WELLS,
    domain=(-3.0, 3.0, -2.0, 2.0),
)

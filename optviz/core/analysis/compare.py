"""A fair comparison: every optimizer tuned with the same budget on the same problems, reported
as performance profiles (Dolan & Moré 2002), as AlgoPerf and benchopt report them.

A problem is a surface (with a known minimum), a start and a noise seed; its target is
f(x_t) - f* <= tol, and steps-to-target is the first such t, the sweep's steps-to-tolerance.
Each optimizer gets B trials per problem: B learning rates log-spaced over its lr slider's
range (``tune="lr"``), or B points of a Halton sequence over all its float hyperparameters'
slider ranges, log-scaled where the slider is (``tune="all"``). Its result on a problem is its
best trial. All trials of one optimizer on the whole suite (every surface, start and trial)
are one call of the sweep engine, the surfaces chosen per cell inside it.

The profile: with r_po = t_po / min_o t_po (steps counted from 1: a start already on target
counts as one step), rho_o(tau) = the fraction of problems with r_po <= tau.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from optviz.core.engine.cost import COMPILE_SECONDS, cell_steps_per_second
from optviz.core.limits import MAX_BUDGET, MAX_RUNS, MAX_SEEDS, MAX_STARTS, MAX_SWEEP_STEPS
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import OptSpec, SpecError, check_surface, format_number, format_spec

DEFAULT_SURFACES = ("bowl", "ellipse", "rosenbrock", "himmelblau")  # the page's and the CLI's
TUNES = ("lr", "all")


@dataclass
class Comparison:
    """Steps-to-target of each optimizer's best trial on each problem, and what it was tuned to."""

    problems: list[dict]  # {"surface", "start", "seed"}
    optimizers: list[str]  # SPEC labels
    steps: np.ndarray  # [problems, optimizers], -1 where no trial reached the target
    tuned: list[list[dict]]  # [problem][optimizer]: the best trial's hyperparameters
    reached: np.ndarray  # [optimizers, trials]: fraction of problems each trial solved (robustness)
    trial_lrs: np.ndarray  # [optimizers, trials]: each trial's lr

    def profile(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(tau, {optimizer: rho(tau)})."""
        tau, rho = performance_profile(self.steps)
        return tau, {name: rho[:, j] for j, name in enumerate(self.optimizers)}

    def to_json(self) -> dict:
        """The CLI's strict-JSON shape."""
        tau, rho = self.profile()
        steps = [[None if s < 0 else int(s) for s in row] for row in self.steps]
        return {
            "problems": self.problems,
            "optimizers": self.optimizers,
            "steps": steps,
            "tuned": self.tuned,
            "profile": {"tau": [float(t) for t in tau], "rho": {k: [float(v) for v in r] for k, r in rho.items()}},
            "robustness": {name: float(self.reached[j].mean()) for j, name in enumerate(self.optimizers)},
        }


def performance_profile(steps: np.ndarray, points: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Dolan & Moré's profile of ``steps`` [problems, solvers] (-1: not solved): tau from 1 to the
    largest finite ratio (log-spaced, the ratios themselves included) and rho [len(tau), solvers]."""
    steps = np.asarray(steps, np.float64)
    cost = np.where(steps < 0, np.inf, np.maximum(steps, 1.0))
    best = cost.min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        ratio = np.where(np.isfinite(best), cost / best, np.inf)
    finite = ratio[np.isfinite(ratio)]
    top = float(finite.max()) if finite.size else 1.0
    tau = np.unique(np.concatenate([np.geomspace(1.0, max(top, 1.0) * 1.05, points), finite, [1.0]]))
    n = max(len(steps), 1)
    rho = (ratio[None, :, :] <= tau[:, None, None]).sum(axis=1) / n
    return tau, rho


def halton(n: int, dims: int) -> np.ndarray:
    """The first n points of the Halton sequence in [0, 1)^dims (bases: the first primes)."""
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37][:dims]
    out = np.zeros((n, dims))
    for d, base in enumerate(primes):
        for i in range(n):
            f, r, k = 1.0, 0.0, i + 1
            while k > 0:
                f /= base
                r += f * (k % base)
                k //= base
            out[i, d] = r
    return out


def trials(spec: OptSpec, budget: int, tune: str) -> list[dict[str, float]]:
    """The B hyperparameter settings tried (the SPEC's own values for everything not tuned)."""
    opt = REGISTRY[spec.name]
    lr = opt.hparam("lr")
    if tune == "lr":
        lrs = np.geomspace(lr.slider[0], lr.slider[1], budget) if budget > 1 else [lr.default]
        return [{**spec.hparams, "lr": float(v)} for v in lrs]
    tuned = [h for h in opt.hparams if h.kind == "float"]
    out = []
    for u in halton(budget, len(tuned)):
        values = dict(spec.hparams)
        for h, q in zip(tuned, u):
            lo, hi = h.slider
            if h.log:
                v = math.exp(math.log(lo) + q * (math.log(hi) - math.log(lo)))
            else:
                v = lo + q * (hi - lo)
            if not h.is_valid(v):
                v = h.default
            values[h.name] = float(v)
        out.append(values)
    return out


def problem_starts(surface_name: str, k: int) -> list[tuple[float, float]]:
    """The surface's own start, then k - 1 starts drawn (fixed seed) over the middle of its domain."""
    s = SURFACES[surface_name]
    x0, x1, y0, y1 = s.domain
    rng = np.random.default_rng(sum(map(ord, surface_name)))
    drawn = [
        (float(x0 + (x1 - x0) * (0.15 + 0.7 * a)), float(y0 + (y1 - y0) * (0.15 + 0.7 * b)))
        for a, b in rng.random((max(k - 1, 0), 2))
    ]
    return [(float(s.start[0]), float(s.start[1]))] + [(round(a, 3), round(b, 3)) for a, b in drawn]


def check_compare(
    specs: Sequence[OptSpec],
    surfaces: Sequence[str],
    starts: int,
    seeds: int,
    budget: int,
    tune: str,
    steps: int,
    tol: float,
) -> None:
    """Refuse settings outside the bounds, naming the item and what is allowed."""
    if not 1 <= len(specs) <= MAX_RUNS:
        raise SpecError(f"opt: give 1 to {MAX_RUNS} optimizers (got {len(specs)})")
    for spec in specs:
        check_surface(spec)
    for name in surfaces:
        if name not in SURFACES or SURFACES[name].f_min is None:
            allowed = ", ".join(n for n, s in SURFACES.items() if s.f_min is not None)
            raise SpecError(f"surfaces: {name!r} is not a surface with a known minimum; choose from: {allowed}")
    checks = [
        ("starts", starts, 1, MAX_STARTS),
        ("seeds", seeds, 1, MAX_SEEDS),
        ("budget", budget, 1, MAX_BUDGET),
        ("steps", steps, 1, MAX_SWEEP_STEPS),
    ]
    for item, value, lo, hi in checks:
        if not lo <= value <= hi:
            raise SpecError(f"{item}: must be a whole number from {lo} to {hi} (got {value})")
    if tune not in TUNES:
        raise SpecError(f"tune: must be one of {', '.join(TUNES)} (got {tune!r})")
    if not tol > 0:
        raise SpecError(f"tol: must be > 0 (got {format_number(tol)})")


def estimated_seconds(
    specs: Sequence[OptSpec], surfaces: Sequence[str], starts: int, seeds: int, budget: int, steps: int
) -> float:
    """About how long :func:`compare` takes here, before it starts: one sweep per optimizer (and
    noise seed) of every problem's trials, each with a compile (optviz.core.engine.cost)."""
    cells = len(dict.fromkeys(surfaces)) * starts * budget
    return seeds * sum(COMPILE_SECONDS + cells * steps / cell_steps_per_second(s.name) for s in specs)


def compare(
    specs: Sequence[OptSpec],
    surfaces: Sequence[str] = DEFAULT_SURFACES,
    starts: int = 3,
    seeds: int = 1,
    budget: int = 12,
    tune: str = "lr",
    steps: int = 500,
    tol: float = 1e-3,
    noise: float = 0.0,
    progress: Callable[[float, str], None] | None = None,
) -> Comparison:
    """Tune every optimizer with the same budget on every problem; steps-to-target of the best trials."""
    from optviz.core.engine.sweep import run_cells

    surfaces = list(dict.fromkeys(surfaces))  # each surface once
    check_compare(specs, surfaces, starts, seeds, budget, tune, steps, tol)
    seed_list = list(range(seeds)) if noise > 0 else [0]
    problems = [
        {"surface": s, "start": list(st), "seed": sd}
        for s in surfaces
        for st in problem_starts(s, starts)
        for sd in seed_list
    ]
    labels = [format_spec(spec) for spec in specs]
    result = np.full((len(problems), len(specs)), -1, np.int64)
    tuned: list[list[dict]] = [[{} for _ in specs] for _ in problems]
    solved = np.zeros((len(specs), budget))
    lrs = np.zeros((len(specs), budget))
    surface_tuple = tuple(SURFACES[name] for name in surfaces)
    starts_of = {name: problem_starts(name, starts) for name in surfaces}
    # Cells: surface-major, then start, then trial; one call of the sweep engine per optimizer
    # (and noise seed) covers the whole suite.
    cell_surface = np.repeat(np.arange(len(surfaces)), starts * budget).astype(np.float32)
    cell_start = np.asarray([st for name in surfaces for st in starts_of[name] for _ in range(budget)], np.float32)
    total, done = len(specs) * len(seed_list), 0
    for j, spec in enumerate(specs):
        settings = trials(spec, budget, tune)
        lrs[j] = [t["lr"] for t in settings]
        hps = {
            k: np.tile(np.asarray([t[k] for t in settings], np.float32), len(surfaces) * starts) for k in settings[0]
        }
        hps.update({k: np.asarray(v, np.float32) for k, v in spec.common.items()})
        hps["_surface"] = cell_surface
        features = frozenset(
            n
            for n, on in (
                ("clip", spec.common["clip"] > 0 or spec.common["clip_value"] > 0),
                ("schedule", spec.scheduled),
            )
            if on
        )
        for sd in seed_list:
            _, _, hit, _ = run_cells(surface_tuple, spec.name, cell_start, hps, steps, tol, noise, sd, features)
            hit = hit.reshape(len(surfaces), starts, budget)
            for si, surface in enumerate(surfaces):
                for i, st in enumerate(starts_of[surface]):
                    p = problems.index({"surface": surface, "start": list(st), "seed": sd})
                    ok = np.nonzero(hit[si, i] >= 0)[0]
                    solved[j] += hit[si, i] >= 0
                    if ok.size:
                        best = int(ok[np.argmin(hit[si, i][ok])])
                        result[p, j] = int(hit[si, i][best])
                        tuned[p][j] = {k: float(v) for k, v in settings[best].items()}
            done += 1
            if progress is not None:
                progress(
                    done / total, f"{labels[j]}: {len(surfaces) * starts * budget} runs on {len(surfaces)} surfaces"
                )
    return Comparison(problems, labels, result, tuned, solved / max(len(problems), 1), lrs)

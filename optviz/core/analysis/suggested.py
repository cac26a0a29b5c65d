"""Each catalogue surface's suggested learning rate for each optimizer.

A learning rate that works on the bowl diverges on Rosenbrock, so switching the surface with
the old rates ends a newcomer's first click in a diverged run. The pages use these values for
every racer whose learning rate the user has not set by hand, and for a link that names no
optimizer. scripts/suggest_lr.py computes them (:func:`choose`) for runs of BUDGET steps from
the surface's default start, the Surfaces page's default length.

A suggestion is a picture one can follow, not the edge of chaos: among the stops of the
optimizer's lr slider, the run must stay in the picture and take no step longer than
MAX_STEP of the picture's width or height; so must the runs at the two neighbouring stops (a
value that only works by luck is not offered); the slider's two ends are never suggested. Of
those, the run that descends fastest wins: the lowest mean of log10(f - min f) over its steps
(the mean loss on a surface without a minimum). Where no stop qualifies there is no
suggestion, and :data:`NO_SUGGESTION` says why.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

BUDGET = 150  # steps the suggestions are tuned for: the Surfaces page's default run
MAX_STEP = 0.1  # the longest step of a followable path, as a fraction of the picture's width (or height)
MARGIN = 0.1  # how far outside its domain a followable path may go, likewise


def followable(run, surface) -> bool:
    """Whether the run draws a path one can follow: finite, in the picture (the domain with a
    10% margin), and no step longer than 10% of the picture's width or height."""
    if run.diverged_at is not None or len(run.loss) < 2:
        return False
    xmin, xmax, ymin, ymax = surface.domain
    w, h = xmax - xmin, ymax - ymin
    x, y = run.path[:, 0].astype(np.float64), run.path[:, 1].astype(np.float64)
    if ((x < xmin - MARGIN * w) | (x > xmax + MARGIN * w) | (y < ymin - MARGIN * h) | (y > ymax + MARGIN * h)).any():
        return False
    return bool(np.abs(np.diff(x)).max() <= MAX_STEP * w and np.abs(np.diff(y)).max() <= MAX_STEP * h)


def score(run, surface) -> float:
    """How fast a run descends: the mean of log10(f - min f) over its steps (lower is better);
    the mean loss on a surface without a minimum; infinity when the path is not followable."""
    if not followable(run, surface):
        return math.inf
    if surface.f_min is None:
        return float(np.mean(run.loss))
    return float(np.mean(np.log10(np.maximum(run.loss.astype(np.float64) - surface.f_min, 1e-12))))


def choose(stops: Sequence[float], scores: Sequence[float]) -> tuple[float | None, str]:
    """The suggestion among a slider's ``stops`` given each stop's :func:`score`, and why (when None).

    An end of the slider is never chosen, nor a stop whose neighbour's path is not followable."""
    candidates = [i for i in range(1, len(stops) - 1) if all(math.isfinite(scores[j]) for j in (i - 1, i, i + 1))]
    if candidates:
        return stops[min(candidates, key=lambda i: (scores[i], i))], ""
    if not any(math.isfinite(v) for v in scores):
        return None, f"no lr on its slider draws a followable path in {BUDGET} steps from this surface's start"
    return None, "its only followable paths are at a slider end or beside an lr whose path is not"


def compute(surface_name: str, optimizer: str) -> tuple[float | None, str]:
    """Run every stop of ``optimizer``'s lr slider on a catalogue surface and :func:`choose`."""
    from optviz.core.engine.trajectory import run_one
    from optviz.core.optimizers import REGISTRY
    from optviz.core.problems.surfaces import SURFACES
    from optviz.core.spec import make_spec

    surface = SURFACES[surface_name]
    stops = REGISTRY[optimizer].hparam("lr").stops()
    runs = (run_one(surface, surface.start, BUDGET, make_spec(optimizer, {"lr": lr})) for lr in stops)
    return choose(stops, [score(run, surface) for run in runs])


@functools.cache
def suggestion(surface: str, optimizer: str) -> tuple[float | None, str]:
    """The suggested lr of ``optimizer`` on catalogue surface ``surface``, or None and why. From
    the generated table below; a pair it does not hold yet (an optimizer added since the table
    was written) is computed on first use, the same way, so a new optimizer needs no edit here."""
    from optviz.core.optimizers import REGISTRY
    from optviz.core.problems.surfaces import SURFACES

    if surface not in SURFACES:
        return None, "a custom formula has no suggested learning rates"
    if REGISTRY[optimizer].surface_note:
        return None, f"not offered on the 2D surfaces: {REGISTRY[optimizer].surface_note}"
    if optimizer in SUGGESTED_LR.get(surface, {}):
        return SUGGESTED_LR[surface][optimizer], ""
    if optimizer in NO_SUGGESTION.get(surface, {}):
        return None, NO_SUGGESTION[surface][optimizer]
    return compute(surface, optimizer)


def suggested_lr(surface: str, optimizer: str) -> float | None:
    """The suggested lr, or None (:func:`suggestion` says why)."""
    return suggestion(surface, optimizer)[0]


# --- generated below by scripts/suggest_lr.py; do not edit by hand

SUGGESTED_LR = {
    "bowl": {
        "sgd": 0.07,
        "momentum": 0.015,
        "nesterov": 0.03,
        "adagrad": 0.15,
        "rmsprop": 0.01,
        "adam": 0.1,
        "adamw": 0.1,
        "amsgrad": 0.1,
        "adamax": 0.1,
        "nadam": 0.1,
        "lion": 0.1,
        "swats": 0.1,
        "adadelta": 7,
        "rprop": 0.03,
        "radam": 0.07,
        "adabelief": 0.1,
        "yogi": 0.15,
        "adopt": 0.5,
        "ademamix": 0.1,
        "sfadamw": 0.15,
        "prodigy": 0.2,
        "newton": 0.15,
        "lbfgs": 0.2,
        "sophia": 0.05,
        "adafactor": 0.15,
        "lamb": 0.15,
        "lars": 50,
        "signum": 0.05,
        "adan": 0.1,
        "simplified_ademamix": 0.00015,
        "mars": 0.1,
        "dog": 2,
        "dadapt_adamw": 0.7,
        "sfsgd": 0.07,
        "soap": 0.1,
        "sam": 0.05,
    },
    "ellipse": {
        "sgd": 0.007,
        "momentum": 0.003,
        "nesterov": 0.003,
        "adagrad": 0.15,
        "rmsprop": 0.01,
        "adam": 0.1,
        "adamw": 0.1,
        "amsgrad": 0.1,
        "adamax": 0.1,
        "nadam": 0.1,
        "lion": 0.1,
        "swats": 0.1,
        "adadelta": 7,
        "rprop": 0.05,
        "radam": 0.007,
        "adabelief": 0.1,
        "yogi": 0.15,
        "adopt": 0.5,
        "ademamix": 0.1,
        "sfadamw": 0.15,
        "prodigy": 0.3,
        "newton": 0.15,
        "lbfgs": 0.15,
        "sophia": 0.05,
        "adafactor": 0.07,
        "lamb": 0.07,
        "lars": 7,
        "signum": 0.05,
        "adan": 0.1,
        "simplified_ademamix": 0.0015,
        "mars": 0.1,
        "dog": 1.5,
        "dadapt_adamw": 1,
        "sfsgd": 0.007,
        "soap": 0.1,
        "sam": 0.007,
    },
    "rosenbrock": {
        "sgd": 0.0007,
        "momentum": 0.0015,
        "nesterov": 0.0005,
        "adagrad": 0.1,
        "rmsprop": 0.01,
        "adam": 0.15,
        "adamw": 0.2,
        "amsgrad": 0.15,
        "adamax": 0.15,
        "nadam": 0.07,
        "lion": 0.01,
        "swats": 0.15,
        "adadelta": 5,
        "rprop": 0.03,
        "radam": 0.0007,
        "adabelief": 0.15,
        "yogi": 0.15,
        "adopt": 0.7,
        "ademamix": 0.15,
        "sfadamw": 0.15,
        "prodigy": 0.7,
        "newton": 0.3,
        "lbfgs": 0.015,
        "sophia": 0.07,
        "adafactor": 0.015,
        "lamb": 0.07,
        "lars": 50,
        "signum": 0.07,
        "adan": 0.15,
        "simplified_ademamix": 0.01,
        "mars": 0.07,
        "dog": 2,
        "dadapt_adamw": 1.5,
        "sfsgd": 0.0015,
        "soap": 0.15,
        "sam": 0.0001,
    },
    "beale": {
        "sgd": 0.003,
        "momentum": 0.002,
        "nesterov": 0.0015,
        "adagrad": 0.5,
        "rmsprop": 0.05,
        "adam": 0.5,
        "adamw": 0.5,
        "amsgrad": 0.5,
        "adamax": 0.5,
        "nadam": 0.5,
        "lion": 0.3,
        "swats": 0.5,
        "adadelta": 7,
        "rprop": 0.1,
        "radam": 0.003,
        "adabelief": 0.5,
        "yogi": 0.5,
        "adopt": 0.7,
        "ademamix": 0.5,
        "sfadamw": 0.5,
        "prodigy": 1,
        "newton": 0.7,
        "lbfgs": 0.5,
        "sophia": 0.07,
        "adafactor": 0.2,
        "lamb": 0.05,
        "lars": 7,
        "signum": 0.07,
        "adan": 0.3,
        "simplified_ademamix": 0.001,
        "mars": 0.3,
        "dog": 7,
        "dadapt_adamw": 5,
        "sfsgd": 0.003,
        "soap": 0.3,
        "sam": 0.002,
    },
    "himmelblau": {
        "sgd": 0.01,
        "momentum": 0.003,
        "nesterov": 0.003,
        "adagrad": 0.7,
        "rmsprop": 0.05,
        "adam": 0.7,
        "adamw": 0.5,
        "amsgrad": 0.7,
        "adamax": 0.5,
        "nadam": 0.2,
        "lion": 0.15,
        "swats": 0.7,
        "adadelta": 7,
        "rprop": 0.1,
        "radam": 0.03,
        "adabelief": 0.5,
        "yogi": 0.7,
        "adopt": 0.3,
        "ademamix": 0.5,
        "sfadamw": 0.7,
        "prodigy": 0.2,
        "newton": 0.7,
        "lbfgs": 0.015,
        "sophia": 0.15,
        "adafactor": 0.07,
        "lamb": 0.07,
        "lars": 7,
        "signum": 0.1,
        "adan": 0.5,
        "simplified_ademamix": 0.03,
        "mars": 0.2,
        "dog": 0.3,
        "dadapt_adamw": 0.1,
        "sfsgd": 0.03,
        "soap": 0.7,
        "sam": 1.5e-05,
    },
    "rastrigin": {
        "sgd": 0.003,
        "momentum": 0.0007,
        "nesterov": 0.003,
        "adagrad": 0.7,
        "rmsprop": 0.07,
        "adam": 0.15,
        "adamw": 0.15,
        "amsgrad": 0.15,
        "adamax": 0.2,
        "nadam": 0.07,
        "lion": 0.03,
        "swats": 0.15,
        "adadelta": 7,
        "rprop": 0.1,
        "radam": 0.001,
        "adabelief": 0.1,
        "yogi": 0.15,
        "adopt": 0.5,
        "ademamix": 0.15,
        "sfadamw": 0.7,
        "prodigy": 7,
        "newton": 0.5,
        "lbfgs": 0.5,
        "sophia": 0.15,
        "adafactor": 0.015,
        "lamb": 0.01,
        "lars": 70,
        "signum": 0.015,
        "adan": 0.3,
        "simplified_ademamix": 0.03,
        "mars": 0.15,
        "dog": 2,
        "dadapt_adamw": 3,
        "sfsgd": 0.005,
        "soap": 0.5,
        "sam": 0.0015,
    },
    "ackley": {
        "sgd": 0.03,
        "momentum": 0.03,
        "nesterov": 0.02,
        "adagrad": 0.7,
        "rmsprop": 0.02,
        "adam": 0.5,
        "adamw": 0.5,
        "amsgrad": 0.5,
        "adamax": 0.7,
        "nadam": 0.5,
        "lion": 0.3,
        "swats": 0.5,
        "adadelta": 7,
        "rprop": 0.2,
        "radam": 0.15,
        "adabelief": 0.5,
        "yogi": 0.5,
        "adopt": 0.3,
        "ademamix": 0.5,
        "sfadamw": 0.7,
        "prodigy": 2,
        "newton": 0.5,
        "lbfgs": 0.05,
        "sophia": 0.2,
        "adafactor": 0.2,
        "lamb": 0.15,
        "lars": 50,
        "signum": 0.2,
        "adan": 0.3,
        "simplified_ademamix": 0.02,
        "mars": 0.2,
        "dog": 1.5,
        "dadapt_adamw": 1.5,
        "sfsgd": 0.1,
        "soap": 0.3,
        "sam": 0.015,
    },
    "saddle": {
        "sgd": 0.01,
        "momentum": 0.0015,
        "nesterov": 0.0015,
        "adagrad": 0.02,
        "rmsprop": 0.002,
        "adam": 0.003,
        "adamw": 0.003,
        "amsgrad": 0.003,
        "adamax": 0.005,
        "nadam": 0.003,
        "lion": 0.005,
        "swats": 0.003,
        "adadelta": 0.07,
        "radam": 0.015,
        "adabelief": 0.0007,
        "yogi": 0.003,
        "adopt": 0.002,
        "ademamix": 0.003,
        "sfadamw": 0.005,
        "prodigy": 0.05,
        "newton": 0.02,
        "sophia": 0.005,
        "adafactor": 0.007,
        "lamb": 0.007,
        "lars": 2,
        "signum": 0.005,
        "adan": 0.005,
        "simplified_ademamix": 0.00015,
        "mars": 0.003,
        "dog": 0.5,
        "dadapt_adamw": 0.1,
        "sfsgd": 0.02,
        "soap": 0.005,
        "sam": 0.015,
    },
    "booth": {
        "sgd": 0.007,
        "momentum": 0.0015,
        "nesterov": 0.002,
        "adagrad": 0.7,
        "rmsprop": 0.1,
        "adam": 0.7,
        "adamw": 0.7,
        "amsgrad": 0.7,
        "adamax": 0.7,
        "nadam": 0.7,
        "lion": 0.5,
        "swats": 0.7,
        "adadelta": 7,
        "rprop": 0.2,
        "radam": 0.007,
        "adabelief": 0.7,
        "yogi": 0.7,
        "adopt": 0.7,
        "ademamix": 0.7,
        "sfadamw": 0.7,
        "prodigy": 0.0015,
        "newton": 0.7,
        "lbfgs": 0.15,
        "sophia": 0.3,
        "adafactor": 0.15,
        "lamb": 0.15,
        "lars": 15,
        "signum": 0.5,
        "adan": 0.7,
        "simplified_ademamix": 0.007,
        "mars": 0.7,
        "dog": 2,
        "dadapt_adamw": 0.7,
        "sfsgd": 0.007,
        "soap": 0.7,
        "sam": 0.007,
    },
    "goldstein_price": {
        "sgd": 1.5e-05,
        "momentum": 1.5e-05,
        "adagrad": 0.2,
        "rmsprop": 0.02,
        "adam": 0.2,
        "adamw": 0.2,
        "amsgrad": 0.2,
        "adamax": 0.2,
        "nadam": 0.2,
        "lion": 0.05,
        "swats": 0.2,
        "adadelta": 7,
        "rprop": 0.15,
        "radam": 1.5e-05,
        "adabelief": 0.2,
        "yogi": 0.2,
        "adopt": 0.7,
        "ademamix": 0.2,
        "sfadamw": 0.2,
        "prodigy": 0.7,
        "newton": 0.7,
        "lbfgs": 0.3,
        "sophia": 0.07,
        "adafactor": 0.07,
        "lamb": 0.1,
        "lars": 50,
        "signum": 0.15,
        "adan": 0.2,
        "simplified_ademamix": 0.02,
        "mars": 0.2,
        "dog": 7,
        "dadapt_adamw": 2,
        "sfsgd": 1.5e-05,
        "soap": 0.2,
        "sam": 1.5e-05,
    },
    "six_hump_camel": {
        "sgd": 0.02,
        "momentum": 0.02,
        "nesterov": 0.015,
        "adagrad": 0.2,
        "rmsprop": 0.02,
        "adam": 0.2,
        "adamw": 0.2,
        "amsgrad": 0.2,
        "adamax": 0.15,
        "nadam": 0.15,
        "lion": 0.1,
        "swats": 0.2,
        "adadelta": 7,
        "rprop": 0.2,
        "radam": 0.015,
        "adabelief": 0.2,
        "yogi": 0.2,
        "adopt": 0.3,
        "ademamix": 0.2,
        "sfadamw": 0.2,
        "prodigy": 0.2,
        "newton": 0.7,
        "lbfgs": 0.2,
        "sophia": 0.1,
        "adafactor": 0.07,
        "lamb": 0.1,
        "lars": 20,
        "signum": 0.15,
        "adan": 0.2,
        "simplified_ademamix": 0.0007,
        "mars": 0.2,
        "dog": 7,
        "dadapt_adamw": 1,
        "sfsgd": 0.02,
        "soap": 0.2,
        "sam": 0.02,
    },
    "cliff": {
        "sgd": 0.1,
        "momentum": 0.01,
        "nesterov": 0.015,
        "adagrad": 0.2,
        "rmsprop": 0.02,
        "adam": 0.15,
        "adamw": 0.1,
        "amsgrad": 0.15,
        "adamax": 0.15,
        "nadam": 0.1,
        "lion": 0.05,
        "swats": 0.15,
        "adadelta": 7,
        "rprop": 0.03,
        "radam": 0.15,
        "adabelief": 0.15,
        "yogi": 0.1,
        "adopt": 0.2,
        "ademamix": 0.15,
        "sfadamw": 0.2,
        "prodigy": 0.15,
        "newton": 0.07,
        "lbfgs": 0.1,
        "sophia": 0.05,
        "adafactor": 0.07,
        "lamb": 0.07,
        "lars": 7,
        "signum": 0.05,
        "adan": 0.1,
        "simplified_ademamix": 0.0015,
        "mars": 0.07,
        "dog": 0.5,
        "dadapt_adamw": 0.2,
        "sfsgd": 0.15,
        "soap": 0.1,
        "sam": 0.05,
    },
}

NO_SUGGESTION = {
    "bowl": {},
    "ellipse": {},
    "rosenbrock": {},
    "beale": {},
    "himmelblau": {},
    "rastrigin": {},
    "ackley": {},
    "saddle": {
        "rprop": "no lr on its slider draws a followable path in 150 steps from this surface's start",
        "lbfgs": "no lr on its slider draws a followable path in 150 steps from this surface's start",
    },
    "booth": {},
    "goldstein_price": {"nesterov": "its only followable paths are at a slider end or beside an lr whose path is not"},
    "six_hump_camel": {},
    "cliff": {},
}

"""Each catalogue surface's suggested learning rate for each optimizer.

A learning rate that works on the bowl diverges on Rosenbrock, so switching the surface with
the old rates ends a newcomer's first click in a diverged run. The pages use these values for
every racer whose learning rate the user has not set by hand. They are the Fair race's choice
for a fixed budget (scripts/suggest_lr.py): the slider stop whose run from the surface's
default start descends fastest and steadiest over BUDGET steps (:func:`score`).
"""

from __future__ import annotations

import math

import numpy as np

BUDGET = 300  # steps the suggestions are tuned for


def score(run, surface) -> float:
    """How well a run descends: the mean of log10(f - min f) over its steps (lower is better);
    the mean loss on a surface without a minimum; infinity when it diverged or left the picture
    (the surface's domain with a 10% margin): a suggestion should draw a path one can follow."""
    if run.diverged_at is not None or not len(run.loss):
        return math.inf
    xmin, xmax, ymin, ymax = surface.domain
    mx, my = 0.1 * (xmax - xmin), 0.1 * (ymax - ymin)
    x, y = run.path[:, 0], run.path[:, 1]
    if ((x < xmin - mx) | (x > xmax + mx) | (y < ymin - my) | (y > ymax + my)).any():
        return math.inf
    if surface.f_min is None:
        return float(np.mean(run.loss))
    return float(np.mean(np.log10(np.maximum(run.loss.astype(np.float64) - surface.f_min, 1e-12))))


def suggested_lr(surface: str, optimizer: str) -> float | None:
    """The suggested lr, or None (a custom formula, or a pair not tuned yet)."""
    return SUGGESTED_LR.get(surface, {}).get(optimizer)


# --- generated below by scripts/suggest_lr.py; do not edit by hand

SUGGESTED_LR = {
    "bowl": {"sgd": 0.5, "momentum": 0.2, "nesterov": 0.5, "adagrad": 0.7, "rmsprop": 0.05, "adam": 0.2, "adamw": 1, "amsgrad": 0.3, "adamax": 0.3, "nadam": 0.2, "lion": 0.1, "swats": 0.2, "adadelta": 5, "rprop": 0.5, "radam": 0.15, "adabelief": 0.2, "yogi": 0.2, "adopt": 0.5, "ademamix": 1, "sfadamw": 1, "prodigy": 3, "newton": 1, "lbfgs": 1, "sophia": 0.015, "adafactor": 1},
    "ellipse": {"sgd": 0.07, "momentum": 0.015, "nesterov": 0.05, "adagrad": 1, "rmsprop": 0.05, "adam": 0.3, "adamw": 1, "amsgrad": 0.3, "adamax": 0.5, "nadam": 0.2, "lion": 0.3, "swats": 0.3, "adadelta": 10, "rprop": 0.5, "radam": 0.1, "adabelief": 0.3, "yogi": 0.3, "adopt": 1, "ademamix": 1, "sfadamw": 1, "prodigy": 5, "newton": 1, "lbfgs": 1, "sophia": 0.05, "adafactor": 1},
    "rosenbrock": {"sgd": 0.002, "momentum": 0.002, "nesterov": 0.001, "adagrad": 1, "rmsprop": 0.01, "adam": 1, "adamw": 0.7, "amsgrad": 1, "adamax": 1, "nadam": 0.5, "lion": 0.02, "swats": 1, "adadelta": 5, "rprop": 0.15, "radam": 0.007, "adabelief": 1, "yogi": 1, "adopt": 1, "ademamix": 1, "sfadamw": 1, "prodigy": 7, "newton": 1, "lbfgs": 0.5, "sophia": 0.02, "adafactor": 0.7},
    "beale": {"sgd": 0.02, "momentum": 0.003, "nesterov": 0.002, "adagrad": 1, "rmsprop": 0.3, "adam": 0.7, "adamw": 0.7, "amsgrad": 1, "adamax": 1, "nadam": 0.7, "lion": 0.2, "swats": 0.7, "adadelta": 10, "rprop": 0.1, "radam": 0.003, "adabelief": 1, "yogi": 1, "adopt": 1, "ademamix": 0.5, "sfadamw": 1, "prodigy": 5, "newton": 1, "lbfgs": 1, "sophia": 0.07, "adafactor": 0.05},
    "himmelblau": {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.007, "adagrad": 1, "rmsprop": 0.07, "adam": 1, "adamw": 1, "amsgrad": 1, "adamax": 1, "nadam": 0.3, "lion": 0.07, "swats": 1, "adadelta": 3, "rprop": 0.7, "radam": 0.1, "adabelief": 1, "yogi": 1, "adopt": 0.3, "ademamix": 1, "sfadamw": 1, "prodigy": 1, "newton": 1, "lbfgs": 0.1, "sophia": 0.07, "adafactor": 0.05},
    "rastrigin": {"sgd": 0.003, "momentum": 0.0007, "nesterov": 0.003, "adagrad": 1, "rmsprop": 0.1, "adam": 0.7, "adamw": 0.7, "amsgrad": 0.7, "adamax": 0.7, "nadam": 0.05, "lion": 0.03, "swats": 0.7, "adadelta": 5, "rprop": 1, "radam": 0.02, "adabelief": 0.7, "yogi": 0.7, "adopt": 0.5, "ademamix": 0.7, "sfadamw": 1, "prodigy": 7, "newton": 0.5, "lbfgs": 0.005, "sophia": 0.15, "adafactor": 0.7},
    "ackley": {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.07, "adagrad": 1, "rmsprop": 0.1, "adam": 0.7, "adamw": 0.5, "amsgrad": 0.7, "adamax": 0.7, "nadam": 0.5, "lion": 0.3, "swats": 0.7, "adadelta": 5, "rprop": 1, "radam": 0.5, "adabelief": 0.5, "yogi": 0.7, "adopt": 1, "ademamix": 0.7, "sfadamw": 1, "prodigy": 3, "newton": 1, "lbfgs": 0.3, "sophia": 0.2, "adafactor": 1},
    "saddle": {"sgd": 0.007, "momentum": 0.0007, "nesterov": 0.0007, "adagrad": 0.02, "rmsprop": 0.002, "adam": 0.002, "adamw": 0.002, "amsgrad": 0.002, "adamax": 0.003, "nadam": 0.002, "lion": 0.003, "swats": 0.002, "adadelta": 0.05, "radam": 0.007, "adabelief": 0.0002, "yogi": 0.002, "adopt": 0.001, "ademamix": 0.002, "sfadamw": 0.003, "prodigy": 0.03, "newton": 0.015, "sophia": 0.003, "adafactor": 0.005},
    "booth": {"sgd": 0.05, "momentum": 0.01, "nesterov": 0.05, "adagrad": 1, "rmsprop": 1, "adam": 1, "adamw": 1, "amsgrad": 1, "adamax": 1, "nadam": 1, "lion": 1, "swats": 1, "adadelta": 10, "rprop": 0.3, "radam": 0.015, "adabelief": 1, "yogi": 1, "adopt": 1, "ademamix": 1, "sfadamw": 1, "prodigy": 7, "newton": 1, "lbfgs": 1, "sophia": 0.3, "adafactor": 1},
    "goldstein_price": {"sgd": 7e-05, "momentum": 1e-05, "nesterov": 2e-05, "adagrad": 0.7, "rmsprop": 0.05, "adam": 0.2, "adamw": 0.2, "amsgrad": 0.2, "adamax": 0.3, "nadam": 0.2, "lion": 0.05, "swats": 0.2, "adadelta": 10, "rprop": 0.3, "radam": 5e-05, "adabelief": 1, "yogi": 0.2, "adopt": 1, "ademamix": 0.2, "sfadamw": 0.7, "prodigy": 1.5, "newton": 1, "lbfgs": 1, "sophia": 0.07, "adafactor": 0.7},
    "six_hump_camel": {"sgd": 0.15, "momentum": 0.03, "nesterov": 0.07, "adagrad": 1, "rmsprop": 0.1, "adam": 0.5, "adamw": 0.5, "amsgrad": 0.5, "adamax": 1, "nadam": 0.5, "lion": 0.3, "swats": 0.5, "adadelta": 10, "rprop": 1, "radam": 0.07, "adabelief": 0.5, "yogi": 0.5, "adopt": 1, "ademamix": 0.5, "sfadamw": 1, "prodigy": 5, "newton": 1, "lbfgs": 1, "sophia": 0.1, "adafactor": 0.5},
    "cliff": {"sgd": 0.07, "momentum": 0.01, "nesterov": 0.015, "adagrad": 0.5, "rmsprop": 0.15, "adam": 0.15, "adamw": 0.1, "amsgrad": 0.15, "adamax": 0.2, "nadam": 0.07, "lion": 0.05, "swats": 0.1, "adadelta": 10, "rprop": 0.05, "radam": 0.7, "adabelief": 0.07, "yogi": 0.1, "adopt": 0.3, "ademamix": 0.15, "sfadamw": 0.3, "prodigy": 0.15, "newton": 0.3, "lbfgs": 0.3, "sophia": 0.03, "adafactor": 0.5},
}

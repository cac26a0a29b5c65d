"""Does Adam generalize worse than SGD with momentum? The seed's debate, measured here.

Wilson et al. (2017) found adaptive methods reaching lower training loss but worse test
accuracy than well-tuned SGD with momentum. The study below asks it of what we have: the MLP on
a small MNIST training set trained to (near) zero training error, each optimizer at its own
tuned learning rate, over several seeds, and the test-accuracy gap with a confidence interval.

Tuning is fair and honest: each optimizer gets the same number of learning rates (a log grid),
each trained once (seed 0), and the winner is the one with the best accuracy on a validation
set held out of the training images, never on the test set. Every run of the study itself is
``optviz mnist --model mlp --opt SPEC --epochs E --batch-size B --train-size N --test-size M
--seed S`` (tests check one seed against the CLI).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optviz.core.engine.training import estimated_seconds, train_race
from optviz.core.problems.mnist_data import Mnist
from optviz.core.spec import OptSpec, make_spec

# Student's t quantile t(0.975, n - 1) for the 95% interval of a mean of n paired differences.
T975 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365, 9: 2.306, 10: 2.262}


@dataclass(frozen=True)
class Study:
    """The experiment: a model, sizes, training length, seeds, and each optimizer's lr grid."""

    model: str = "mlp"
    train_size: int = 2000
    valid_size: int = 1000  # held out of the training images, after the first train_size
    test_size: int = 2000
    epochs: int = 20
    batch_size: int = 50
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    grids: tuple[tuple[str, tuple[float, ...]], ...] = (
        ("adam", (3e-4, 1e-3, 3e-3, 1e-2)),
        ("momentum", (1e-2, 3e-2, 1e-1, 3e-1)),
    )

    def runs(self) -> int:
        """How many trainings the study takes (tuning, then every seed)."""
        return sum(len(g) for _, g in self.grids) + len(self.grids) * len(self.seeds)

    def estimated_seconds(self) -> float:
        """About how long the study takes here, before it starts (optviz.core.engine.training)."""
        tune = sum(
            estimated_seconds(self.model, [make_spec(n)] * len(g), self.epochs, self.train_size, self.valid_size)
            for n, g in self.grids
        )
        specs = [make_spec(n) for n, _ in self.grids]
        per_seed = estimated_seconds(self.model, specs, self.epochs, self.train_size, self.test_size)
        return tune + len(self.seeds) * per_seed


@dataclass(frozen=True)
class Outcome:
    """What the study found: each optimizer's tuned spec, its final train and test accuracies per
    seed, and the test-accuracy difference (first minus second optimizer, in points) with its
    95% confidence interval over the seeds (paired: the same seed, same initialisation and batches)."""

    specs: tuple[OptSpec, ...]
    train_accuracy: tuple[tuple[float, ...], ...]  # [optimizer][seed]
    test_accuracy: tuple[tuple[float, ...], ...]
    gap: float  # mean of (first − second) test accuracy, in percentage points
    half_width: float  # of the 95% interval

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% confidence interval of the gap, in points."""
        return self.gap - self.half_width, self.gap + self.half_width

    def verdict(self) -> str:
        """One honest sentence on what the interval says."""
        lo, hi = self.interval
        a, b = (s.label() for s in self.specs)
        if lo > 0:
            return f"{a} tested better than {b} here: the whole interval is above zero."
        if hi < 0:
            return f"{b} tested better than {a} here, as Wilson et al. found: the whole interval is below zero."
        return "The interval contains zero: at this size and with these seeds the two are not told apart."


Report = Callable[[float, str], None]


def _validation(data: Mnist, study: Study) -> Mnist:
    """The data with its test set replaced by the validation images (held out of training)."""
    lo, hi = study.train_size, study.train_size + study.valid_size
    return dataclasses.replace(data, test_images=data.train_images[lo:hi], test_labels=data.train_labels[lo:hi])


def tune(study: Study, data: Mnist, name: str, grid: tuple[float, ...], report: Report | None = None) -> OptSpec:
    """``name`` at the lr of ``grid`` whose run (seed 0) ends with the best validation accuracy
    (ties to the smaller lr)."""
    specs = [make_spec(name, {"lr": lr}) for lr in grid]
    runs = train_race(
        study.model,
        specs,
        _validation(data, study),
        study.epochs,
        study.batch_size,
        study.train_size,
        study.valid_size,
        seed=0,
        progress=_per_run(report),
    )
    best = int(np.argmax([r.test_accuracy[-1] for r in runs]))
    return specs[best]


def _per_run(report: Report | None) -> Callable[[float, str, object], None] | None:
    """A study's report as a race's progress hook (which also passes the run so far)."""
    if report is None:
        return None
    return lambda fraction, message, _run: report(fraction, message)


def paired_interval(differences: list[float]) -> tuple[float, float]:
    """The mean of paired differences and the half width of its 95% t interval."""
    n = len(differences)
    mean = float(np.mean(differences))
    if n < 2:
        return mean, math.inf
    sd = float(np.std(differences, ddof=1))
    return mean, T975.get(n, 1.96) * sd / math.sqrt(n)


def run_study(study: Study, data: Mnist, report: Report | None = None) -> Outcome:
    """Tune each optimizer, then train them all from every seed; ``report(fraction, message)`` as it goes."""
    done, total = 0, study.runs()

    def step(message: str, runs: int) -> Report | None:  # a race's own fraction, as the study's
        if report is None:
            return None
        return lambda f, m: report(min((done + f * runs) / total, 1.0), message)

    specs = []
    for name, grid in study.grids:
        specs.append(tune(study, data, name, grid, step(f"tuning {name}'s lr over {len(grid)} values", len(grid))))
        done += len(grid)
    train: list[list[float]] = [[] for _ in specs]
    test: list[list[float]] = [[] for _ in specs]
    for seed in study.seeds:
        runs = train_race(
            study.model,
            specs,
            data,
            study.epochs,
            study.batch_size,
            study.train_size,
            study.test_size,
            seed=seed,
            progress=_per_run(step(f"seed {seed}", len(specs))),
        )
        for k, run in enumerate(runs):
            train[k].append(run.train_accuracy[-1])
            test[k].append(run.test_accuracy[-1])
        done += len(specs)
    gap, half = paired_interval([100 * (a - b) for a, b in zip(test[0], test[1])])
    return Outcome(tuple(specs), tuple(map(tuple, train)), tuple(map(tuple, test)), gap, half)

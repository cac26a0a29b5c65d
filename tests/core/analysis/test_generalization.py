"""The generalization study: tuned on held-out training images, every run the CLI's, an honest interval."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from optviz.core.analysis.generalization import Study, paired_interval, run_study, tune
from optviz.core.problems.mnist_data import load_bundled
from optviz.core.spec import format_spec
from tests.paths import ROOT

SMALL = Study(
    train_size=400,
    valid_size=200,
    test_size=400,
    epochs=2,
    batch_size=50,
    seeds=(0, 3),
    grids=(("adam", (1e-3, 1e-2)), ("momentum", (1e-2, 1e-1))),
)


@pytest.fixture(scope="module")
def data():
    return load_bundled()


def test_the_interval_is_students_t_over_paired_differences():
    diffs = [0.5, -0.2, 0.1, 0.4, -0.1]
    mean, half = paired_interval(diffs)
    assert mean == pytest.approx(0.14)
    assert half == pytest.approx(2.776 * np.std(diffs, ddof=1) / math.sqrt(5))
    assert paired_interval([1.0])[1] == math.inf


def test_tuning_never_looks_at_the_test_set(data):
    shuffled = dataclasses.replace(data, test_labels=np.random.default_rng(0).permutation(data.test_labels))
    for name, grid in SMALL.grids:
        assert tune(SMALL, data, name, grid) == tune(SMALL, shuffled, name, grid)


def test_each_seed_of_the_study_is_the_clis_run_at_that_seed(data, tmp_path):
    seen = []
    outcome = run_study(SMALL, data, lambda f, m: seen.append(f))
    assert seen and all(0 <= f <= 1 for f in seen) and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert len(outcome.test_accuracy) == 2 and all(len(t) == len(SMALL.seeds) for t in outcome.test_accuracy)
    diffs = [100 * (a - b) for a, b in zip(*outcome.test_accuracy)]
    assert (outcome.gap, outcome.half_width) == pytest.approx(paired_interval(diffs))
    env = {k: v for k, v in os.environ.items() if k != "OPTVIZ_MNIST_DIR"}
    env.update(HOME=str(tmp_path), PYTHONPATH=ROOT)  # no cached full set: the bundled subset, as here
    for k, spec in enumerate(outcome.specs):
        seed = SMALL.seeds[-1]
        argv = [sys.executable, "-m", "optviz", "mnist", "--model", "mlp", "--opt", format_spec(spec)]
        argv += ["--epochs", "2", "--batch-size", "50", "--train-size", "400", "--test-size", "400"]
        argv += ["--seed", str(seed), "--json"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT, env=env)
        run = json.loads(out.stdout)["runs"][0]
        assert run["test_accuracy"][-1] == pytest.approx(outcome.test_accuracy[k][-1], abs=1e-6)
        assert run["train_accuracy"][-1] == pytest.approx(outcome.train_accuracy[k][-1], abs=1e-6)

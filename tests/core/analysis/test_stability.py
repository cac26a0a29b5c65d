"""The edge of stability on 2D runs: sharpness against analytic Hessians, preconditioned
sharpness against a float64 computation from the recorded state, thresholds against the
behaviour of the optimizers themselves."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optviz.cli.main import main
from optviz.core.analysis.stability import stability
from optviz.core.engine.trajectory import run_one
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import parse_spec


def rosenbrock_hessian(x, y):
    return np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])


def test_sharpness_is_the_analytic_top_eigenvalue():
    ellipse = SURFACES["ellipse"]
    run = run_one(ellipse, ellipse.start, 60, parse_spec("adam:lr=0.05"))
    np.testing.assert_allclose(stability(run, ellipse)["sharpness"], 25.0, rtol=1e-6)
    rosen = SURFACES["rosenbrock"]
    run = run_one(rosen, rosen.start, 200, parse_spec("adam:lr=0.02"))
    want = [np.linalg.eigvalsh(rosenbrock_hessian(*p.astype(np.float64)))[-1] for p in run.path[:-1]]
    np.testing.assert_allclose(stability(run, rosen)["sharpness"], want, rtol=1e-4)


@pytest.mark.parametrize(
    "text",
    [
        "adam:lr=0.02,b1=0.8,b2=0.99",
        "adam:lr=0.01,bias_correction=0",
        "adamw:lr=0.03",
        "amsgrad:lr=0.02,b1=0.7",
        "adamax:lr=0.05",
        "rmsprop:lr=0.003,alpha=0.9",
        "adagrad:lr=0.3",
    ],
)
def test_preconditioned_sharpness_from_the_recorded_state(text):
    rosen = SURFACES["rosenbrock"]
    spec = parse_spec(text)
    run = run_one(rosen, rosen.start, 150, spec)
    hp, st = spec.hparams, run.state
    got = stability(run, rosen)
    for t in (1, 2, 10, 75, 150):
        h = rosenbrock_hessian(*run.path[t - 1].astype(np.float64))
        bc1 = 1 - hp.get("b1", 0.0) ** t if hp.get("bias_correction", 1) else 1.0
        bc2 = 1 - hp.get("b2", 0.0) ** t if hp.get("bias_correction", 1) else 1.0
        p = {  # each written out from its paper, for this update
            "adam": lambda t=t, bc1=bc1, bc2=bc2: bc1 * (np.sqrt(st["v"][t - 1] / bc2) + hp["eps"]),
            "adamw": lambda t=t, bc1=bc1, bc2=bc2: bc1 * (np.sqrt(st["v"][t - 1] / bc2) + hp["eps"]),
            "amsgrad": lambda t=t, bc1=bc1, bc2=bc2: bc1 * (np.sqrt(st["v_max"][t - 1] / bc2) + hp["eps"]),
            "adamax": lambda t=t, bc1=bc1: bc1 * st["u"][t - 1],
            "rmsprop": lambda t=t: np.sqrt(st["square_avg"][t - 1]) + hp["eps"],
            "adagrad": lambda t=t: np.sqrt(st["sum_sq"][t - 1]) + hp["eps"],
        }[spec.name]()
        want = max(np.linalg.eigvals(np.diag(1 / p.astype(np.float64)) @ h).real)
        np.testing.assert_allclose(got["preconditioned_sharpness"][t - 1], want, rtol=1e-4)
    b1 = hp.get("b1", 0.0)
    np.testing.assert_allclose(got["threshold"], (2 + 2 * b1) / ((1 - b1) * hp["lr"]), rtol=1e-6)


@pytest.mark.parametrize(
    "name,momentum", [("sgd", None), ("momentum", 0.9), ("momentum", 0.5), ("nesterov", 0.9), ("nesterov", 0.3)]
)
def test_thresholds_separate_stable_from_unstable(name, momentum):
    """On the ellipse (sharpness 25): just under the threshold the y coordinate shrinks, just over it grows."""
    ellipse = SURFACES["ellipse"]
    extra = f",momentum={momentum}" if momentum is not None else ""
    probe = run_one(ellipse, ellipse.start, 2, parse_spec(f"{name}:lr=0.01{extra}"))
    critical = 0.01 * stability(probe, ellipse)["threshold"][0] / 25.0  # the lr whose threshold is 25
    for factor, grows in ((0.97, False), (1.03, True)):
        run = run_one(ellipse, (0.0, 0.5), 600, parse_spec(f"{name}:lr={critical * factor}{extra}"))
        end = abs(run.path[-1, 1]) if run.diverged_at is None else np.inf
        assert (end > 0.5) == grows, (factor, end)


def test_no_threshold_where_none_is_known():
    bowl = SURFACES["bowl"]
    for text in ("lion:lr=0.01", "nadam", "swats"):
        got = stability(run_one(bowl, bowl.start, 20, parse_spec(text)), bowl)
        assert set(got) == {"sharpness"}


def test_thresholds_follow_the_schedule():
    bowl = SURFACES["bowl"]
    run = run_one(bowl, bowl.start, 30, parse_spec("sgd:lr=0.1,schedule=linear,min_lr=0.01"))
    np.testing.assert_allclose(stability(run, bowl)["threshold"], 2 / run.lr.astype(np.float64))
    assert run.lr[0] > run.lr[-1]


def test_run_json_reports_stability(capsys):
    assert (
        main(
            [
                "run",
                "--surface",
                "ellipse",
                "--steps",
                "25",
                "--opt",
                "sgd:lr=0.05",
                "--opt",
                "adam:lr=0.1",
                "--opt",
                "lion:lr=0.01",
                "--json",
            ]
        )
        == 0
    )
    sgd, adam, lion = json.loads(capsys.readouterr().out)["runs"]
    assert len(sgd["sharpness"]) == 25 and sgd["threshold"][0] == pytest.approx(40.0)
    assert "preconditioned_sharpness" not in sgd
    assert len(adam["preconditioned_sharpness"]) == 25 and adam["threshold"][0] == pytest.approx(380.0)
    assert "threshold" not in lion and len(lion["sharpness"]) == 25

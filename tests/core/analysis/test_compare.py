"""Performance profiles, the tuned comparison, and the LR range test against the truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz.cli.main import main
from optviz.core.analysis.compare import compare, halton, performance_profile, trials
from optviz.core.analysis.lrfind import lr_range_test_surface, range_lrs, smooth, stop_index, suggestions
from optviz.core.engine.trajectory import run_race
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, make_spec, parse_spec

steps_matrices = st.integers(1, 8).flatmap(
    lambda p: st.integers(1, 5).flatmap(
        lambda o: st.lists(
            st.lists(st.one_of(st.just(-1), st.integers(0, 500)), min_size=o, max_size=o), min_size=p, max_size=p
        )
    )
)


@settings(max_examples=200, deadline=None)
@given(steps_matrices)
def test_profile_is_monotone_and_ends_at_the_fraction_solved(rows):
    steps = np.asarray(rows)
    tau, rho = performance_profile(steps)
    assert tau[0] == 1.0 and np.all(np.diff(tau) > 0)
    assert np.all(np.diff(rho, axis=0) >= 0)
    np.testing.assert_allclose(rho[-1], (steps >= 0).mean(axis=0))
    # at tau = 1: the fraction of problems on which the optimizer is (one of) the fastest
    cost = np.where(steps < 0, np.inf, np.maximum(steps, 1))
    best = cost.min(axis=1, keepdims=True)
    np.testing.assert_allclose(rho[0], ((cost == best) & np.isfinite(best)).mean(axis=0))


@settings(max_examples=200, deadline=None)
@given(steps_matrices, st.data())
def test_a_dominated_optimizer_never_rises_above_its_dominator(rows, data):
    steps = np.asarray(rows)
    worse = np.where(
        steps < 0,
        -1,
        steps + np.asarray(data.draw(st.lists(st.integers(0, 100), min_size=len(steps), max_size=len(steps))))[:, None],
    )
    gone = np.asarray(data.draw(st.lists(st.booleans(), min_size=len(steps), max_size=len(steps))))
    worse[gone] = -1  # and it fails some problems the other solves
    _, rho = performance_profile(np.concatenate([steps[:, :1], worse[:, :1]], axis=1))
    assert np.all(rho[:, 1] <= rho[:, 0] + 1e-12)


def test_halton_and_the_trials_are_the_same_for_everyone():
    np.testing.assert_allclose(halton(4, 2), [[0.5, 1 / 3], [0.25, 2 / 3], [0.75, 1 / 9], [0.125, 4 / 9]])
    lrs = [t["lr"] for t in trials(parse_spec("adam"), 5, "lr")]
    np.testing.assert_allclose(lrs, np.geomspace(1e-5, 1.0, 5))
    for t in trials(parse_spec("rmsprop:eps=1e-6"), 9, "all"):
        make_spec("rmsprop", t)  # every drawn setting is valid
    assert {t["eps"] for t in trials(parse_spec("rmsprop"), 9, "all")} != {1e-8}


def test_reported_steps_are_what_run_gives_with_the_tuned_settings():
    specs = [parse_spec("adam"), parse_spec("momentum")]
    result = compare(specs, ["bowl", "booth"], starts=2, budget=6, steps=300, tol=1e-3)
    checked = 0
    for p, problem in enumerate(result.problems):
        for j, spec in enumerate(specs):
            if result.steps[p, j] < 0:
                continue
            surface = SURFACES[problem["surface"]]
            run = run_race(surface, tuple(problem["start"]), 300, [make_spec(spec.name, result.tuned[p][j])])[0]
            first = int(np.argmax(run.loss - surface.f_min <= 1e-3))
            assert first == result.steps[p, j], (problem, spec.name)
            checked += 1
    assert checked >= 4


def test_compare_cli_prints_the_issues_json_shape():
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert (
            main(
                [
                    "compare",
                    "--opt",
                    "adam",
                    "--opt",
                    "sgd",
                    "--surfaces",
                    "bowl",
                    "--starts",
                    "2",
                    "--budget",
                    "4",
                    "--steps",
                    "200",
                    "--json",
                ]
            )
            == 0
        )
    data = json.loads(out.getvalue())
    assert set(data) >= {"problems", "optimizers", "steps", "tuned", "profile"}
    assert data["optimizers"] == ["adam", "sgd"] and len(data["steps"]) == len(data["problems"]) == 2
    assert set(data["profile"]["rho"]) == {"adam", "sgd"}
    assert len(data["profile"]["tau"]) == len(data["profile"]["rho"]["adam"])


@pytest.mark.parametrize(
    "argv,message",
    [
        (["compare", "--opt", "muon"], "--opt: muon: not offered on the 2D surfaces"),
        (["compare", "--opt", "adam", "--surfaces", "saddle"], "--surfaces: 'saddle' is not a surface with a known"),
        (["compare", "--opt", "adam", "--budget", "0"], "--budget: must be a whole number from 1 to 64"),
        (["lrfind", "--surface", "bowl", "--opt", "adam", "--lr-min", "1", "--lr-max", "0.1"], "lr range"),
    ],
)
def test_bad_compare_and_lrfind_input_names_the_flag(argv, message, capsys):
    assert main(argv) != 0
    assert message in capsys.readouterr().err


def test_range_test_schedule_smoothing_and_suggestions_follow_the_written_formulas():
    np.testing.assert_allclose(range_lrs(1e-4, 1.0, 5), [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    losses = np.array([4.0, 3.0, 2.5, 2.0, 5.0, 80.0])
    avg, want = 0.0, []
    for i, loss in enumerate(losses):  # fastai's LRFinder, written out
        avg = 0.98 * avg + 0.02 * loss
        want.append(avg / (1 - 0.98 ** (i + 1)))
    np.testing.assert_allclose(smooth(losses), want)
    assert stop_index(np.array([3.0, 2.0, 1.0, 3.9, 4.1])) == 4 and stop_index(np.array([1.0, np.nan])) == 1
    lrs = np.geomspace(1e-3, 1, 4)
    s = suggestions(lrs, np.array([3.0, 2.9, 1.0, 0.9]))
    assert s["steep"] == pytest.approx(lrs[1]) or s["steep"] == pytest.approx(lrs[2])
    assert s["min/10"] == pytest.approx(lrs[3] / 10)


def test_range_test_truth_equals_direct_runs():
    surface = SURFACES["rosenbrock"]
    test = lr_range_test_surface(surface, parse_spec("adam"), None, 80, 1e-4, 1.0, 6)
    for lr, score in zip(test.grid_lrs, test.grid_scores):
        run = run_race(surface, surface.start, 80, [make_spec("adam", {"lr": float(lr)})])[0]
        if np.isfinite(score):
            assert score == pytest.approx(float(np.mean(run.loss[1:])), rel=1e-4)
        else:
            assert run.diverged_at is not None
    assert test.best_lr in test.grid_lrs and set(test.verdict()) == {"steep", "min/10"}
    assert len(test.lrs) <= 80 and test.lrs[0] == pytest.approx(1e-4)


def test_range_test_refuses_what_the_surfaces_do_not_offer():
    with pytest.raises(SpecError, match="not offered on the 2D surfaces"):
        lr_range_test_surface(SURFACES["bowl"], parse_spec("muon"))


@pytest.mark.parametrize("name", ["newton", "lbfgs", "sophia", "adam:clip=0.5"])
def test_the_range_tests_runs_are_the_engines_runs_second_order_and_clipped_ones_too(name):
    """One step protocol: the test's constant-lr runs give the losses of a single run (Newton's
    Hessian, L-BFGS's line search, Sophia's diagonal and clipping included)."""
    from optviz.core.engine.trajectory import run_one
    from optviz.core.spec import make_spec

    s, spec = SURFACES["himmelblau"], parse_spec(name)
    test = lr_range_test_surface(s, spec, k=30, grid=4, lr_min=1e-3, lr_max=0.1)
    for lr, score in zip(test.grid_lrs, test.grid_scores):
        run = run_one(s, s.start, 30, make_spec(spec.name, {**spec.settings(), "lr": float(lr)}))
        assert run.diverged_at is None
        assert score == pytest.approx(float(np.mean(run.loss[1:].astype(np.float64))), rel=1e-4), (name, lr)


def test_lrfind_cli_on_a_surface_and_on_mnist(capsys):
    assert main(["lrfind", "--surface", "booth", "--opt", "adam", "--steps", "60", "--grid", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["suggested"]) == {"steep", "min/10"} and len(out["grid"]["lrs"]) == 8
    assert out["grid"]["best_lr"] in out["grid"]["lrs"] and out["verdict"]["steep"]["factor_from_best"] >= 1
    assert (
        main(
            [
                "lrfind",
                "--model",
                "logreg",
                "--opt",
                "sgd",
                "--steps",
                "20",
                "--grid",
                "3",
                "--lr-min",
                "1e-3",
                "--lr-max",
                "10",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "LR range test of sgd on logreg" in text and "from the grid's best" in text

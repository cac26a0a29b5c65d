"""The Fair race's tuning: short values that are exactly the runs that won, and a word when a winner sits at an end."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz.core.analysis.tuning import SHORTENING, short_log_grid, tune_lr
from optviz.core.engine.trajectory import run_one
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SweepAxis, parse_spec


@settings(max_examples=200, deadline=None)
@given(st.floats(-8, 1), st.floats(0.3, 6), st.integers(2, 64))
def test_a_short_grid_is_distinct_close_to_log_spacing_and_keeps_its_ends(low_exp, decades, points):
    low, high = 10.0**low_exp, 10.0 ** (low_exp + decades)
    grid = short_log_grid(low, high, points)
    exact = SweepAxis("lr", low, high, points, log=True).values
    assert len(grid) == points and len(set(grid)) == points and list(grid) == sorted(grid)
    assert all(abs(g / e - 1) <= SHORTENING for g, e in zip(grid, exact))


def test_slider_grids_read_in_three_significant_figures():
    grid = short_log_grid(1e-5, 1.0, 41)
    assert grid[0] == 1e-5 and grid[-1] == 1.0
    assert all(v == float(f"{v:.3g}") for v in grid)
    assert 0.00237 in grid  # not 0.002371373705661656


@pytest.mark.parametrize("surface, name", [("rosenbrock", "sgd"), ("ellipse", "adam"), ("himmelblau", "rmsprop")])
def test_the_tuned_lr_is_a_short_grid_value_whose_own_run_ends_where_the_tuning_said(surface, name):
    s = SURFACES[surface]
    tuned = tune_lr(s, parse_spec(name), s.start, 150)
    lr = tuned.spec.hparams["lr"]
    assert lr in tuned.grid and lr == float(f"{lr:.3g}")
    single = run_one(s, s.start, 150, tuned.spec)
    assert single.diverged_at is None
    assert math.isclose(float(single.loss[-1]), tuned.final_loss, rel_tol=1e-3, abs_tol=1e-6)
    assert tuned.edge is None


def test_a_winner_at_the_end_of_the_grid_says_so():
    s = SURFACES["rosenbrock"]
    tuned = tune_lr(s, parse_spec("adam"), s.start, 150)
    assert tuned.spec.hparams["lr"] == tuned.grid[-1] == 1.0 and tuned.edge == "highest"
    low = tune_lr(s, parse_spec("sgd"), s.start, 150, points=3)  # 1e-5, 0.00316, 1: only the smallest survives
    assert low.spec.hparams["lr"] == low.grid[0] and low.edge == "lowest"

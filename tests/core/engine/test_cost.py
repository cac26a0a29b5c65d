"""Cost estimates: every job kind's estimate, before it starts, from its size."""

from __future__ import annotations

import pytest

from optviz.core.analysis import compare, landscape, lrfind, sharpness
from optviz.core.engine import sweep, training
from optviz.core.engine.cost import COMPILE_SECONDS, cell_steps_per_second
from optviz.core.optimizers import REGISTRY
from optviz.core.spec import parse_spec


def test_costly_optimizers_are_the_ones_whose_step_does_more_than_elementwise_work():
    costly = {name for name, opt in REGISTRY.items() if opt.costly}
    assert {"lbfgs", "newton", "muon", "sophia", "adafactor"} <= costly
    assert not {"sgd", "adam", "adamw", "lion", "rmsprop"} & costly


def test_a_line_search_is_estimated_slowest_and_an_elementwise_step_fastest():
    assert cell_steps_per_second("lbfgs") < cell_steps_per_second("newton") < cell_steps_per_second("adam")


@pytest.mark.parametrize(
    "estimate, small, large",
    [
        (sweep.estimated_seconds, (parse_spec("adam"), 64 * 64, 200), (parse_spec("adam"), 256 * 256, 2000)),
        (
            training.estimated_seconds,
            ("mlp", [parse_spec("adam")], 1, 2000, 1000),
            ("cnn", [parse_spec("adam"), parse_spec("muon")], 3, 12000, 2000),
        ),
        (landscape.estimated_seconds, ("mlp", 11, 20, 500), ("cnn", 51, 200, 1000)),
        (sharpness.estimated_seconds, ("mlp", parse_spec("sgd"), 100, 500), ("mlp", parse_spec("sgd"), 1000, 5000)),
        (
            compare.estimated_seconds,
            ([parse_spec("adam")], ["bowl"], 1, 1, 4, 100),
            ([parse_spec("adam"), parse_spec("lbfgs")], ["bowl", "rosenbrock"], 5, 2, 24, 2000),
        ),
        (lrfind.estimated_seconds_mnist, ("logreg", parse_spec("adam")), ("cnn", parse_spec("muon"))),
        (lrfind.estimated_seconds_surface, (parse_spec("adam"),), (parse_spec("lbfgs"),)),
    ],
)
def test_an_estimate_grows_with_the_jobs_size(estimate, small, large):
    assert 0 < estimate(*small) < estimate(*large)


def test_the_heaviest_valid_sweep_is_estimated_in_minutes_and_the_default_in_a_blink():
    assert sweep.estimated_seconds(parse_spec("lbfgs:line_search=1"), 256 * 256, 2000) > 60
    assert sweep.estimated_seconds(parse_spec("adam"), 64 * 64, 200) < 0.5


def test_network_jobs_count_a_compile_per_program_they_may_build():
    one = training.estimated_seconds("logreg", [parse_spec("adam")], 1, 60, 60)
    two = training.estimated_seconds("logreg", [parse_spec("adam"), parse_spec("sgd")], 1, 60, 60)
    assert one >= COMPILE_SECONDS and two >= 2 * COMPILE_SECONDS
    assert training.images_per_second("mlp", "muon") < training.images_per_second("mlp", "adam")

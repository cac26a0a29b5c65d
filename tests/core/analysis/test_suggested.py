"""Each surface's suggested learning rates: every pair has one or a stated reason, and each draws a path one
can follow."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optviz.core.analysis.suggested import (
    BUDGET,
    MAX_STEP,
    NO_SUGGESTION,
    SUGGESTED_LR,
    choose,
    compute,
    followable,
    suggestion,
)
from optviz.core.engine.trajectory import run_one
from optviz.core.optimizers import REGISTRY, SURFACE_NAMES
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import format_spec, make_spec
from optviz.link import SurfacesConfig
from tests.apptools import make_app, query


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_pair_has_a_suggestion_or_a_stated_reason_and_the_table_is_current(surface):
    # scripts/suggest_lr.py writes the table; rerun it when an optimizer, a surface or the criteria change
    for name in SURFACE_NAMES:
        lr, why = suggestion(surface, name)
        assert (lr is None) == bool(why), (surface, name)
        if name in SUGGESTED_LR[surface] or name in NO_SUGGESTION[surface]:  # what the table holds is current
            assert compute(surface, name) == (lr, why), (surface, name)


def test_a_pair_the_table_does_not_hold_is_computed_on_first_use(monkeypatch):
    from optviz.core.analysis import suggested

    expected = (SUGGESTED_LR["beale"]["adam"], "")
    monkeypatch.setitem(
        suggested.SUGGESTED_LR, "beale", {k: v for k, v in SUGGESTED_LR["beale"].items() if k != "adam"}
    )
    suggested.suggestion.cache_clear()
    try:
        assert suggested.suggestion("beale", "adam") == compute("beale", "adam") == expected
    finally:
        suggested.suggestion.cache_clear()
    assert suggestion("custom", "adam")[0] is None and suggestion("bowl", "muon")[0] is None


@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "ellipse", "beale"])
def test_a_suggestion_is_inside_its_slider_and_its_path_and_its_neighbours_are_followable(surface):
    s = SURFACES[surface]
    xmin, xmax, ymin, ymax = s.domain
    for name, lr in SUGGESTED_LR[surface].items():
        stops = REGISTRY[name].hparam("lr").stops()
        i = stops.index(lr)
        assert 0 < i < len(stops) - 1, (surface, name, lr)  # never the slider's end: Adam lr=1 is not "sensible"
        for neighbour in stops[i - 1 : i + 2]:
            run = run_one(s, s.start, BUDGET, make_spec(name, {"lr": neighbour}))
            assert followable(run, s), (surface, name, neighbour)
        run = run_one(s, s.start, BUDGET, make_spec(name, {"lr": lr}))
        steps = np.abs(np.diff(run.path.astype(np.float64), axis=0))
        assert (steps[:, 0] <= MAX_STEP * (xmax - xmin)).all() and (steps[:, 1] <= MAX_STEP * (ymax - ymin)).all()


def test_choose_takes_the_fastest_interior_stop_whose_neighbours_are_followable():
    stops = (0.001, 0.01, 0.1, 1.0, 10.0)
    assert choose(stops, [1.0, 0.5, 0.2, -5.0, math.inf]) == (0.1, "")  # 1.0 is best but beside a diverged run
    assert choose(stops, [0.0, 0.0, 0.0, 0.0, -9.0])[0] == 0.01  # the slider's end is never chosen; ties go low
    assert choose(stops, [math.inf] * 5)[0] is None and "no lr" in choose(stops, [math.inf] * 5)[1]
    assert choose(stops, [0.0, math.inf, 0.0, math.inf, 0.0])[0] is None


def test_a_link_that_names_no_optimizer_gets_the_surfaces_suggestions():
    cfg, warnings = SurfacesConfig.from_query({"surface": "rosenbrock"})
    assert warnings == []
    assert [s.hparams["lr"] for s in cfg.race.specs] == [SUGGESTED_LR["rosenbrock"][s.name] for s in cfg.race.specs]
    s = SURFACES["rosenbrock"]
    for spec in cfg.race.specs:  # none diverges (SGD at the bowl's rate did, at step 3)
        assert run_one(s, s.start, cfg.race.steps, spec).diverged_at is None


@pytest.mark.app
def test_switching_the_surface_says_which_run_length_the_rates_were_tuned_for():
    at = make_app(steps="400", opt=["adam", "sgd"])
    at.run()
    at.selectbox(key="surface").set_value("himmelblau").run()
    note = next(i.value for i in at.info if i.value.startswith("Learning rates for Himmelblau"))
    assert f"tuned for runs of {BUDGET} steps from its start (this view runs 400)" in note
    assert query(at)["opt"] == [
        format_spec(make_spec(n, {"lr": SUGGESTED_LR["himmelblau"][n]})) for n in ("adam", "sgd")
    ]

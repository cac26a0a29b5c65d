"""Each surface's suggested learning rates: every optimizer has one, and it draws a good first picture."""

from __future__ import annotations

import math

import pytest

from optviz.optimizers import REGISTRY, SURFACE_NAMES
from optviz.spec import make_spec
from optviz.suggested import BUDGET, SUGGESTED_LR, score
from optviz.surfaces import SURFACES
from optviz.trajectory import run_one
from optviz.ui.state import slider_stops


def test_every_surface_and_optimizer_has_a_suggestion():
    # scripts/suggest_lr.py writes the table; rerun it when an optimizer or a surface is added
    assert set(SUGGESTED_LR) == set(SURFACES)
    for surface, row in SUGGESTED_LR.items():
        assert set(row) <= set(SURFACE_NAMES)
        for name in set(SURFACE_NAMES) - set(row):  # left out only when no lr keeps its path in the picture
            s = SURFACES[surface]
            stops = slider_stops(REGISTRY[name].hparam("lr"))
            assert not any(math.isfinite(score(run_one(s, s.start, BUDGET, make_spec(name, {"lr": lr})), s))
                           for lr in stops), (surface, name)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_a_suggestion_descends_in_the_picture_at_least_as_well_as_the_default(surface):
    s = SURFACES[surface]
    for name, lr in SUGGESTED_LR[surface].items():
        assert lr in slider_stops(REGISTRY[name].hparam("lr"))
        suggested = score(run_one(s, s.start, BUDGET, make_spec(name, {"lr": lr})), s)
        default = score(run_one(s, s.start, BUDGET, make_spec(name)), s)
        assert math.isfinite(suggested), (surface, name)
        assert suggested <= default, (surface, name, suggested, default)

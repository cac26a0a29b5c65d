"""Every Learn demo shows what its sentence says, measured over the demo's own runs."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.analysis.demos import AMSGRAD, BIAS, EDGE, WARMUP, facts
from optviz.core.problems.surfaces import SURFACES


def test_without_bias_correction_adams_first_step_is_3_2_times_longer_and_jumps_the_cliff():
    f = facts(BIAS)
    b1, b2 = 0.9, 0.999
    assert f.first[1] / f.first[0] == pytest.approx((1 - b1) / np.sqrt(1 - b2), rel=1e-3)
    assert f.gaps[0] < 1e-3 and f.gaps[1] > 10


def test_without_warmup_adam_at_lr_1_leaves_the_cliff_and_with_100_steps_of_warmup_it_settles():
    f = facts(WARMUP)
    assert f.left[0] is not None and f.left[0] <= 20 and f.gaps[0] > 10
    assert f.left[1] is None and f.gaps[1] < 1e-3


def test_amsgrad_ends_far_from_rosenbrocks_minimum_where_adam_reaches_it():
    f = facts(AMSGRAD)
    assert f.gaps[0] < 1e-3 and f.gaps[1] > 0.1


def test_sgd_converges_a_hair_under_2_over_eta_and_grows_by_1_minus_25_eta_squared_a_hair_over():
    under, over = EDGE.runs()
    f = facts(EDGE, [under, over])
    assert f.gaps[0] < 1e-3
    growth = over.loss[-40:] / over.loss[-41:-1]  # late on, the sharp direction alone: (1 − 25η)² per step
    assert np.allclose(growth, (1 - 25 * 0.082) ** 2, rtol=1e-2)
    assert f.gaps[1] > 1e4 * float(over.loss[0]) and f.left[1] is not None
    assert SURFACES["ellipse"].f_min == 0.0

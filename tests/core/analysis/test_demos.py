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


@pytest.mark.parametrize("beta", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_the_last_one_over_1_minus_beta_gradients_carry_about_1_minus_1_over_e_of_the_average(beta):
    from optviz.core.analysis.demos import ema_weights, window, window_share

    n = window(beta)
    assert n == round(1 / (1 - beta))
    assert window_share(beta) == pytest.approx(1 - beta**n)
    assert 0.6 <= window_share(beta) <= 0.76  # 1 − 1/e = 0.632, exactly so as β → 1
    assert ema_weights(beta, 10_000).sum() == pytest.approx(1.0)  # an average: the weights sum to 1
    m = 0.0  # and they are the weights of m = β m + (1 − β) g, newest first
    grads = np.random.default_rng(0).normal(size=50)
    for g in grads:
        m = beta * m + (1 - beta) * g
    assert m == pytest.approx(float(ema_weights(beta, 50) @ grads[::-1]))


@pytest.mark.parametrize("eps", [1e-8, 1e-4, 1e-1])
def test_adams_first_step_is_lr_g_over_g_plus_eps_and_sgds_is_lr_g(eps):
    from optviz.core.analysis.measures import first_step_sizes

    grads = np.geomspace(1e-10, 1e3, 14)
    adam = first_step_sizes("adam", {"lr": 1.0, "b1": 0.9, "b2": 0.999, "eps": eps, "bias_correction": 1.0}, grads)
    np.testing.assert_allclose(adam, grads / (grads + eps), rtol=2e-6)
    assert np.all(np.abs(adam[grads >= 100 * eps] - 1) <= 0.01)  # about lr, whatever the scale, above 100 ε
    sgd = first_step_sizes("sgd", {"lr": 1.0}, grads)
    np.testing.assert_allclose(sgd, grads, rtol=2e-6)


def test_on_the_cliff_every_warmup_from_50_steps_rescues_adam_at_lr_1_and_none_is_thrown_off_at_0():
    from optviz.core.analysis.demos import WARMUPS, gap, left_picture_at, warmup_demo

    cliff = SURFACES["cliff"]
    none = warmup_demo(0).runs()[0]
    assert left_picture_at(none, cliff) == 9 and gap(none, cliff) > 10
    for w in (w for w in WARMUPS if w >= 50):
        run = warmup_demo(w).runs()[0]
        assert left_picture_at(run, cliff) is None and gap(run, cliff) < 1e-3, w

"""Every Learn demo shows what its sentence says, measured over the demo's own runs."""

from __future__ import annotations

import itertools

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


@pytest.mark.parametrize("lr", [0.05, 0.1, 0.25, 0.5, 0.75, 0.95, 1.05])
def test_sgd_on_the_bowl_steps_lr_times_the_gradient_and_scales_the_distance_by_1_minus_2_lr(lr):
    from optviz.core.analysis.demos import SGD_LRS, left_picture_at, sgd_demo, sgd_factor

    assert lr in SGD_LRS
    run = sgd_demo(lr).runs()[0]
    bowl = SURFACES["bowl"]
    start = np.asarray(bowl.start, np.float64)
    steps = np.linalg.norm(np.diff(run.path.astype(np.float64), axis=0), axis=1)
    assert steps[0] == pytest.approx(lr * 2 * np.linalg.norm(start), rel=1e-6)  # lr·|g|, g = 2p
    distance = np.linalg.norm(run.path[:6].astype(np.float64), axis=1)
    if lr != 0.5:
        np.testing.assert_allclose(distance[1:] / distance[:-1], abs(sgd_factor(lr)), rtol=1e-5)
        crossed = np.sign(run.path[1, 0]) != np.sign(run.path[0, 0])
        assert crossed == (lr > 0.5)  # past 0.5 every step overshoots to the other side
    else:
        assert distance[1] == 0.0  # lands on the minimum in one step
    assert (left_picture_at(run, bowl) is not None) == (lr > 1)  # above 1 every step lands farther out


def test_rmsprops_path_is_the_same_at_every_steepness_while_sgd_at_80_percent_of_2_over_kappa_falls_behind():
    from optviz.core.analysis.demos import KAPPAS, kappa_demo

    reference = kappa_demo(KAPPAS[0]).runs()[1].path
    sgd_gaps = []
    for kappa in KAPPAS:
        demo = kappa_demo(kappa)
        f = facts(demo)
        rmsprop = demo.runs()[1]
        np.testing.assert_allclose(rmsprop.path, reference, atol=1e-6)  # scale-free, to float32 rounding
        sgd_gaps.append(f.gaps[0])
        if kappa >= 25:
            assert f.gaps[1] < f.gaps[0] / 100
    assert all(a < b for a, b in itertools.pairwise(sgd_gaps))  # the steeper y, the slower SGD along x


@pytest.mark.parametrize("eta", [0.02, 0.05, 0.07, 0.078, 0.082, 0.09])
def test_sgd_on_the_ellipse_diverges_exactly_when_2_over_eta_is_under_the_sharpness_25(eta):
    from optviz.core.analysis.demos import ETAS, eta_demo, gap, left_picture_at

    assert eta in ETAS
    run = eta_demo(eta).runs()[0]
    ellipse = SURFACES["ellipse"]
    if 2 / eta < 25:
        assert left_picture_at(run, ellipse) is not None
    else:
        assert left_picture_at(run, ellipse) is None and gap(run, ellipse) < 0.02


def _beale_gradient(x: float, y: float) -> np.ndarray:
    """Beale's gradient, written out by hand in float64."""
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    return np.array(
        [
            2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1),
            2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2,
        ]
    )


@pytest.mark.parametrize("t", [1, 2, 10, 37, 50])
def test_the_seven_steps_values_satisfy_adams_seven_equations_at_every_step(t):
    from optviz.core.analysis.demos import SEVEN, seven_steps
    from optviz.core.spec import parse_surface_spec

    hp = parse_surface_spec(SEVEN.opts[0]).settings()
    run = SEVEN.runs()[0]
    now, before = seven_steps(run, hp, t), seven_steps(run, hp, t - 1) if t > 1 else None
    b1, b2, lr, eps = hp["b1"], hp["b2"], hp["lr"], hp["eps"]
    close = dict(rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(now["g"], _beale_gradient(*now["x_before"]), rtol=1e-3)  # 1. g from m, float32
    m_prev = before["m"] if before else 0.0
    v_prev = before["v"] if before else 0.0
    np.testing.assert_allclose(now["m"], b1 * m_prev + (1 - b1) * now["g"], **close)  # 2.
    np.testing.assert_allclose(now["v"], b2 * v_prev + (1 - b2) * _beale_gradient(*now["x_before"]) ** 2, rtol=2e-3)
    np.testing.assert_allclose(now["m_hat"], now["m"] / (1 - b1**t), **close)  # 4.
    np.testing.assert_allclose(now["v_hat"], now["v"] / (1 - b2**t), **close)  # 5.
    # 6. and 7.: the path moved by Δ = lr·m̂/(√v̂ + ε) (the shown step is the path's own difference)
    np.testing.assert_allclose(now["step"], lr * now["m_hat"] / (np.sqrt(now["v_hat"]) + eps), rtol=1e-4)


def test_swats_at_the_default_lr_switches_to_sgd_within_the_demo():
    from optviz.core.analysis.demos import swats_demo

    swats, adam = swats_demo(0.03).runs()
    assert swats.switched_at is not None and 0 < swats.switched_at < 300
    assert swats.loss[-1] < 1e-6 and adam.loss[-1] < 1e-6


def test_the_eta_scrubber_zig_zags_in_under_0_08_and_out_over_it():
    from optviz.core.analysis.demos import ETA_FAN, eta_demo
    from optviz.core.engine.fan import run_fan
    from optviz.core.spec import parse_surface_spec

    demo = eta_demo(0.078)
    fan = run_fan(demo.problem, demo.start, demo.steps, parse_surface_spec(demo.opts[0]), "lr", ETA_FAN)
    assert {0.078, 0.082} <= set(ETA_FAN) and min(ETA_FAN) < 0.08 < max(ETA_FAN)
    for eta, loss in zip(ETA_FAN, fan.losses):
        if eta != 0.08:  # 2/η = 25 exactly: the sharp direction neither grows nor shrinks
            assert (loss[-1] < loss[0]) == (eta < 0.08), eta


def test_adam_as_a_rule_is_adam_and_each_change_shows_what_its_caption_says():
    from optviz.core.analysis.demos import ADAM_RULE, APART, gap
    from optviz.core.engine.trajectory import run_one
    from optviz.core.optimizers.rules import in_scope
    from optviz.core.spec import parse_surface_spec

    rosenbrock = SURFACES["rosenbrock"]
    with in_scope([ADAM_RULE]):
        ours = run_one(rosenbrock, rosenbrock.start, 300, parse_surface_spec("adam_rule:lr=0.02"))
    theirs = run_one(rosenbrock, rosenbrock.start, 300, parse_surface_spec("adam:lr=0.02"))
    np.testing.assert_allclose(ours.path, theirs.path, rtol=2e-5, atol=2e-5)

    uncorrected = APART["no bias correction"]  # the rule is Adam with bias_correction=0
    f = facts(uncorrected)
    builtin = run_one(SURFACES["cliff"], uncorrected.start, uncorrected.steps, parse_surface_spec(BIAS.opts[1]))
    np.testing.assert_allclose(uncorrected.runs()[1].path, builtin.path, rtol=1e-4, atol=1e-4)
    assert f.first[1] / f.first[0] == pytest.approx((1 - 0.9) / np.sqrt(1 - 0.999), rel=1e-3)
    assert f.gaps[0] < 1e-3 and f.gaps[1] > 10  # over the edge

    unrooted = facts(APART["v in place of √v"])  # lr/g: short steps where Beale is steep
    assert unrooted.first[1] < unrooted.first[0] / 50 and unrooted.gaps[1] > 100 * unrooted.gaps[0]

    signed = APART["sign(m), as Lion"]
    adam, sign = signed.runs()
    steps = np.abs(np.diff(sign.path.astype(np.float64), axis=0))
    np.testing.assert_allclose(steps[steps > 0], 0.05, rtol=1e-5)  # every coordinate moves by exactly lr
    bowl = SURFACES["bowl"]
    assert gap(sign, bowl) > 1e-3 and gap(adam, bowl) < 1e-10  # so it hovers about lr from the minimum


def test_momentum_settles_in_the_sharp_well_and_sam_with_the_same_settings_in_the_wide_one():
    """Learn, section 11: the caption's numbers (sharpness about 120 against about 1.3, SAM's loss
    higher), and SAM's stall at rho = 0.5, where its ascent point is the sharp minimum."""
    from dataclasses import replace

    from optviz.core.analysis.demos import FLAT_MINIMA
    from optviz.core.analysis.stability import hessians, top_eigenvalue

    surface = FLAT_MINIMA.problem
    heavy, sam = FLAT_MINIMA.runs()
    sharpness = [float(top_eigenvalue(hessians(surface, r.path[-1:]))[0]) for r in (heavy, sam)]
    np.testing.assert_allclose(heavy.path[-1], [1.0, 0.0], atol=0.01)
    np.testing.assert_allclose(sam.path[-1], [-1.0, 0.0], atol=0.02)
    assert 110 < sharpness[0] < 130 and 1.2 < sharpness[1] < 1.4
    assert sam.loss[-1] > heavy.loss[-1] + 0.2  # SAM trades depth for width
    stalled = replace(FLAT_MINIMA, opts=("sam:lr=0.01,rho=0.5,momentum=0.9",)).runs()[0]
    np.testing.assert_allclose(stalled.path[-1], [0.5, 0.0], atol=0.01)

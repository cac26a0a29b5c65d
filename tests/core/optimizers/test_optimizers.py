"""Every optimizer against independent references, plus the properties the app teaches."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optviz.core.engine.trajectory import run_race
from optviz.core.optimizers import REGISTRY, SURFACE_NAMES
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import make_spec
from tests import reference as ref

CASES = ref.CASES  # each optimizer's test settings live with its written-out rule
PLACES = [("himmelblau", (0.5, -0.5)), ("ellipse", (-1.8, 0.6)), ("booth", (-3.0, -2.0)), ("beale", (1.0, 1.3))]
STEPS = 150


def test_cases_cover_the_registry():
    assert set(CASES) == set(SURFACE_NAMES)


def _ours(name, surface, start, hp, steps=STEPS):
    return run_race(SURFACES[surface], start, steps, [make_spec(name, hp)])[0]


# Where float32 parts from float64 further than 5e-5 in the cases above, and how far. SOAP on
# Booth (its eigenbasis refreshed every 4 steps): the gap grows from 3e-6 at step 2 to 1.4e-4
# around step 100 and closes again (8e-5 at step 150), on a 2-core AMD EPYC without AVX-512; on
# the earlier VMs, whose XLA loops ran on 512-bit vectors, it passed the common tolerance.
WRITTEN_OUT_ATOL = {("soap", "booth"): 2e-4}


@pytest.mark.parametrize("name", SURFACE_NAMES)
@pytest.mark.parametrize("surface,start", PLACES)
def test_matches_written_out_reference(name, surface, start):
    run = _ours(name, surface, start, CASES[name])
    path, loss, _ = ref.trajectory(name, surface, start, make_spec(name, CASES[name]).hparams, STEPS)
    assert run.diverged_at is None
    assert run.path.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(run.path, path, rtol=1e-4, atol=WRITTEN_OUT_ATOL.get((name, surface), 5e-5))
    np.testing.assert_allclose(run.loss, loss, rtol=1e-3, atol=1e-4)
    # The run must actually move, or the comparison proves nothing.
    assert np.abs(path[-1] - path[0]).max() > 0.1


# Where float32 and float64 part ways at defaults on Rosenbrock: (steps compared, absolute
# tolerance). Adadelta zig-zags up the valley after ~200 steps; Prodigy's d (a ratio of running
# sums) parts from step ~20 (its whole run is checked against optax in float32 below); L-BFGS's
# unsearched unit steps are thrown across the valley after ~30; Signum's sign steps oscillate in
# the valley after ~230. DoG's first steps are ~1e-6 long and its step a ratio of running sums:
# their rounding shows as up to 2e-4 on the valley wall around step 50, and shrinks again.
# SOAP's first step is taken at the point where its basis was built, so the gradient's second
# rotated component is pure rounding (~1e-8 in float32, ~1e-16 in float64), which Adam with
# eps = 1e-8 normalises into a component of size lr: the paths stay within lr of each other
# (test_soap_parts_from_float64_only_through_its_first_steps_rounding shows the cause).
PARTS = {
    "adadelta": (200, 5e-5),
    "prodigy": (15, 5e-5),
    "lbfgs": (30, 5e-5),
    "signum": (200, 5e-5),
    "dog": (301, 3e-4),
    "soap": (301, 3e-3),
}


@pytest.mark.parametrize("name", SURFACE_NAMES)
def test_defaults_match_reference_on_rosenbrock(name):
    start = (-1.2, 1.0)
    spec = make_spec(name)
    run = run_race(SURFACES["rosenbrock"], start, 300, [spec])[0]
    path, _, _ = ref.trajectory(name, "rosenbrock", start, spec.hparams, 300)
    if run.diverged_at is not None:  # SGD's lr=0.01 blows up here, say: the reference must agree on that
        k = run.diverged_at
        _, ref_loss, _ = ref.trajectory(name, "rosenbrock", start, spec.hparams, k)
        # float32 overflows where the float64 reference passes float32's largest value.
        assert np.all(ref_loss[:k] < np.finfo(np.float32).max)
        assert not ref_loss[k] < np.finfo(np.float32).max
        # The first points of the blow-up (fewer where float32 overflows sooner: SF-SGD's lr = 1);
        # SAM's normalised ascent amplifies their rounding to 2e-5 by the third.
        shown = min(4, len(run.path))
        np.testing.assert_allclose(run.path[:shown], path[:shown], rtol=5e-5, atol=1e-5)
    else:
        n, atol = PARTS.get(name, (len(path), 5e-5))
        np.testing.assert_allclose(run.path[:n], path[:n], rtol=1e-4, atol=atol)


def test_soap_parts_from_float64_only_through_its_first_steps_rounding():
    """With eps large enough to ignore a 1e-8 component (1e-4), SOAP's defaults follow the
    float64 reference to 1e-5 over 300 steps on Rosenbrock; at eps = 1e-8 the first step's
    rounding-driven component (of size lr) is the whole difference, and it does not grow."""
    start = (-1.2, 1.0)
    for eps, atol in ((1e-4, 1e-5), (1e-8, 3e-3)):
        spec = make_spec("soap", {"eps": eps})
        run = run_race(SURFACES["rosenbrock"], start, 300, [spec])[0]
        path, _, _ = ref.trajectory("soap", "rosenbrock", start, spec.hparams, 300)
        gap = np.abs(run.path - path).max(axis=1)
        assert gap.max() < atol
        assert gap[-1] <= 1.5 * gap[3] + 1e-5  # the first Adam step's gap, carried, not grown


def _random_hparams(name: str, rng: np.random.Generator) -> dict:
    """Hyperparameters drawn across each slider's range (log-uniform where log-scaled).

    Second-moment rates stay >= 0.8: below that Adamax and RMSprop become sign descent, whose
    oscillation about the minimum is chaotic, so float32 and float64 part ways for any code.
    """
    out = {}
    for hp in REGISTRY[name].hparams:
        lo, hi = hp.slider
        if hp.name in ("b2", "alpha"):
            lo = 0.8
        if name == "soap" and hp.name == "eps":  # below, its first step's rounding shows (PARTS)
            lo = 1e-4
        if hp.name == "rho":  # SAM: a larger radius bounces about the unit bowl's minimum from the first steps
            hi = 0.2
        if hp.kind == "flag":
            out[hp.name] = float(rng.integers(0, 2))
        elif hp.kind == "int":
            out[hp.name] = float(rng.integers(int(lo), int(hi) + 1))
        elif hp.log:
            out[hp.name] = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        else:
            out[hp.name] = float(rng.uniform(lo, min(hi, 0.99) if hi <= 1 else hi))
    out["lr"] = min(out["lr"], 0.05)
    return out


# Prodigy's d is a ratio of running sums: float32 and float64 part ways early, so its random
# settings are checked against optax in float32 (test_prodigy_matches_optax_in_float32).
@pytest.mark.parametrize("name", [n for n in SURFACE_NAMES if n != "prodigy"])
def test_random_hyperparameters_on_convex_surfaces(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    places = [("bowl", (0.8, -0.6)), ("ellipse", (-1.5, 0.7))]
    if name == "soap":
        # On the bowl every gradient points at the origin, so SOAP's second rotated component is
        # rounding alone, and with lr/eps large that mode is unstable: float32's 1e-8 seed grows
        # visible far sooner than float64's 1e-16. Booth's gradients turn.
        places[0] = ("booth", (-3.0, -2.0))
    for surface, start in places:
        hp = _random_hparams(name, rng)
        run = _ours(name, surface, start, hp, 120)
        path, loss, _ = ref.trajectory(name, surface, start, make_spec(name, hp).hparams, 120)
        # Near the minimum, sign-like rules (lion, adamax with small b2) oscillate chaotically
        # and float32 and float64 part ways; compare the descent up to there.
        n = int(np.argmax(loss < 1e-4)) if np.any(loss < 1e-4) else len(loss)
        assert n > 10
        np.testing.assert_allclose(run.path[:n], path[:n], rtol=1e-4, atol=1e-4, err_msg=str(hp))


# --- optax, in float64, for those whose maths it shares ---------------------------------

OPTAX = {
    "sgd": lambda h: optax.sgd(h["lr"]),
    "momentum": lambda h: optax.sgd(h["lr"], momentum=h["momentum"]),
    "nesterov": lambda h: optax.sgd(h["lr"], momentum=h["momentum"], nesterov=True),
    "adam": lambda h: optax.adam(h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    "adamw": lambda h: optax.adamw(h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"], weight_decay=h["weight_decay"]),
    "lion": lambda h: optax.lion(h["lr"], b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
    "adabelief": lambda h: optax.adabelief(h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"], eps_root=h["eps_root"]),
    "yogi": lambda h: optax.yogi(h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    "adopt": lambda h: optax.contrib.adopt(h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"]),
    "ademamix": lambda h: optax.contrib.ademamix(
        h["lr"], b1=h["b1"], b2=h["b2"], b3=h["b3"], alpha=h["alpha"], eps=h["eps"], weight_decay=h["weight_decay"]
    ),
    "sfadamw": lambda h: optax.contrib.schedule_free_adamw(
        h["lr"],
        b1=h["b1"],
        b2=h["b2"],
        eps=h["eps"],
        weight_decay=h["weight_decay"],
        weight_lr_power=h["weight_lr_power"],
    ),
    "prodigy": lambda h: optax.contrib.prodigy(
        h["lr"],
        betas=(h["b1"], h["b2"]),
        eps=h["eps"],
        estim_lr0=h["estim_lr0"],
        estim_lr_coef=h["estim_lr_coef"],
        weight_decay=h["weight_decay"],
    ),
}
SCHEDULE_FREE = ("sfadamw", "sfsgd")  # their params are y; the path is x, their eval params


def _optax_path(name, surface, start, hp, steps, make=None):
    """optax's path in float64; ``make`` builds its transform from the settings (OPTAX[name] by default)."""
    with jax.enable_x64(True):
        tx = (make or OPTAX[name])(hp)
        x = jnp.asarray(start, jnp.float64)
        state = tx.init(x)
        shown = (
            (lambda st, p: optax.contrib.schedule_free_eval_params(st, p))
            if name in SCHEDULE_FREE
            else (lambda st, p: p)
        )
        grad = lambda p, _=None: jnp.asarray(ref.SURFACES[surface](np.asarray(p))[1])
        extra = {"grad_fn": grad} if name == "sam" else {}  # SAM's ascent gradient, opaque mode
        path = [np.asarray(x)]
        for _ in range(steps):
            updates, state = tx.update(grad(x), state, x, **extra)
            x = optax.apply_updates(x, updates)
            path.append(np.asarray(shown(state, x)))
    return np.array(path)


@pytest.mark.parametrize("name", list(OPTAX))
@pytest.mark.parametrize("surface,start", [("himmelblau", (0.5, -0.5)), ("booth", (-3.0, -2.0))])
def test_matches_optax(name, surface, start):
    steps = 120
    expected = _optax_path(name, surface, start, CASES[name], steps)
    run = _ours(name, surface, start, CASES[name], steps)
    np.testing.assert_allclose(run.path, expected, rtol=1e-4, atol=5e-5)


def _optax_path32(tx, surface, start, steps):
    x = jnp.asarray(start, jnp.float32)
    state, path = tx.init(x), [np.asarray(x)]
    for _ in range(steps):
        g = jnp.asarray(ref.SURFACES[surface](np.asarray(x, np.float64))[1], jnp.float32)
        updates, state = tx.update(g, state, x)
        x = optax.apply_updates(x, updates)
        path.append(np.asarray(x))
    return np.array(path)


@pytest.mark.parametrize("seed", range(4))
def test_prodigy_matches_optax_in_float32(seed):
    """At defaults on Rosenbrock and at random settings on the bowl, over 120 steps (further on,
    its growing steps make any two float32 programs part ways)."""
    rng = np.random.default_rng(seed)
    drawn = dict(_random_hparams("prodigy", rng), lr=1.0)  # lr is d's multiplier: 1, as meant
    drawn["estim_lr0"] = max(drawn["estim_lr0"], 1e-4)  # so that d grows within the run
    hp = make_spec("prodigy").hparams if seed == 0 else make_spec("prodigy", drawn).hparams
    surface, start = ("rosenbrock", (-1.2, 1.0)) if seed == 0 else ("bowl", (0.8, -0.6))
    expected = _optax_path32(OPTAX["prodigy"](hp), surface, start, 120)
    run = _ours("prodigy", surface, start, hp, 120)
    np.testing.assert_allclose(run.path, expected, rtol=1e-3, atol=5e-4, err_msg=str(hp))
    assert np.abs(expected[-1] - expected[0]).max() > 0.05


# --- properties ------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_adam_first_step_is_about_lr_whatever_the_gradient_scale(scale):
    opt = REGISTRY["adam"]
    hp = {k: jnp.float32(v) for k, v in make_spec("adam", {"lr": 0.01}).hparams.items()}
    x = jnp.array([1.0, -2.0])
    grad = scale * jnp.array([3.0, -0.5])
    new, _ = opt.update(grad, opt.init(x), x, hp)
    np.testing.assert_allclose(np.abs(np.asarray(new - x)), [0.01, 0.01], rtol=1e-3)


def test_adam_without_bias_correction_takes_a_tiny_first_step():
    opt = REGISTRY["adam"]
    x, grad = jnp.array([1.0, 1.0]), jnp.array([2.0, 2.0])
    on = {k: jnp.float32(v) for k, v in make_spec("adam", {"lr": 0.1}).hparams.items()}
    off = dict(on, bias_correction=jnp.float32(0.0))
    step_on = np.abs(np.asarray(opt.update(grad, opt.init(x), x, on)[0] - x))
    step_off = np.abs(np.asarray(opt.update(grad, opt.init(x), x, off)[0] - x))
    # Raw moments: m = 0.1 g, sqrt(v) = sqrt(0.001) |g|, so the step is lr * 0.1/0.0316 = 3.16 lr.
    np.testing.assert_allclose(step_on, 0.1, rtol=1e-4)
    np.testing.assert_allclose(step_off, 0.1 * 0.1 / np.sqrt(0.001), rtol=1e-4)


def test_amsgrad_effective_second_moment_never_decreases():
    spec = make_spec("amsgrad", {"lr": 0.05, "b2": 0.9})
    run = run_race(SURFACES["rastrigin"], (2.3, -1.7), 400, [spec], noise=5.0, seed=3)[0]
    v_max, v = run.state["v_max"], run.state["v"]
    assert np.all(np.diff(v_max, axis=0) >= 0)
    assert np.all(v_max >= v)
    assert np.any(np.diff(v, axis=0) < 0)  # raw v does decrease: the max is doing something


def test_adam_state_is_exposed_per_step():
    run = _ours("adam", "ellipse", (-1.8, 0.6), CASES["adam"], 50)
    s = run.state
    assert {"m", "v", "m_hat", "v_hat", "step"} <= set(s)
    assert s["m"].shape == (50, 2)
    t = np.arange(1, 51)[:, None]
    np.testing.assert_allclose(s["m_hat"], s["m"] / (1 - 0.8**t), rtol=1e-5)
    expected_step = 0.03 * s["m_hat"] / (np.sqrt(s["v_hat"]) + 1e-6)
    np.testing.assert_allclose(s["step"], expected_step, rtol=1e-5)
    # The effective step is the actual move: x_{t-1} - x_t.
    np.testing.assert_allclose(-np.diff(run.path, axis=0), s["step"], rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize(
    "surface,start,hp,expected",
    [
        ("booth", (-3.0, -2.0), dict(lr=0.01, eps=1e-5), 2),
        ("himmelblau", (0.5, -0.5), dict(lr=0.1, eps=1e-5), 18),
        ("bowl", (0.8, -0.6), dict(lr=0.1, eps=1e-3), 196),
        ("ellipse", (-1.8, 0.6), dict(lr=0.1, eps=1e-9), None),
    ],
)
def test_swats_switches_where_the_paper_says(surface, start, hp, expected):
    spec = make_spec("swats", hp)
    run = run_race(SURFACES[surface], start, 300, [spec])[0]
    path, _, state = ref.trajectory("swats", surface, start, spec.hparams, 300)
    assert state.get("switched_at") == expected  # the transcribed paper agrees with the table
    assert run.switched_at == expected
    np.testing.assert_allclose(run.path, path, rtol=1e-4, atol=5e-5)
    if expected:
        phase = run.state["phase_sgd"]
        assert not phase[: expected - 1].any() and phase[expected - 1 :].all()


def test_swats_sgd_phase_is_momentum_sgd_at_the_projected_rate():
    spec = make_spec("swats", dict(lr=0.01, eps=1e-5))
    run = run_race(SURFACES["booth"], (-3.0, -2.0), 60, [spec])[0]
    k = run.switched_at
    lam = float(run.state["sgd_lr"][k - 1])
    assert lam > 0
    # From the switch on: v_t = b1 v_{t-1} + g_t, x_t = x_{t-1} - (1 - b1) Lambda v_t, v_k = 0.
    x, v = run.path[k].astype(np.float64), np.zeros(2)
    for t in range(k + 1, 61):
        v = 0.9 * v + ref.booth(x)[1]
        x = x - 0.1 * lam * v
        np.testing.assert_allclose(run.path[t], x, rtol=1e-4, atol=1e-5)


# --- the newer optimizers' own properties --------------------------------------------------


def test_radam_takes_momentum_steps_until_rho_exceeds_five():
    run = _ours("radam", "ellipse", (-1.8, 0.6), {"lr": 0.01}, 20)
    rho, adaptive = run.state["rho_t"], run.state["adaptive"]
    first = int(np.argmax(adaptive > 0.5))
    assert first > 0 and rho[first - 1] <= 5.0 < rho[first] and all(adaptive[first:] == 1)
    # before it, the step is lr * m_hat: for the first step, lr * g exactly
    g = np.array([-1.8, 25 * 0.6])
    np.testing.assert_allclose(run.path[0] - run.path[1], 0.01 * g, rtol=1e-5)


def test_adopt_first_update_only_initialises():
    run = _ours("adopt", "booth", (-3.0, -2.0), {"lr": 0.1}, 5)
    np.testing.assert_array_equal(run.path[1], run.path[0])
    assert np.abs(run.path[2] - run.path[1]).max() > 0


def test_schedule_free_takes_gradients_between_x_and_z():
    """The path is x; Schedule-Free's own z and the gradient point y = b1 x + (1-b1) z differ from it."""
    spec = make_spec("sfadamw", {"lr": 0.05, "b1": 0.8})
    run = run_race(SURFACES["booth"], (-3.0, -2.0), 50, [spec])[0]
    z = run.state["z"]
    assert np.abs(z - run.path[1:]).max() > 0.01  # z leads, x averages
    c = run.state["c"]
    np.testing.assert_allclose(c[:5], [1 / k for k in range(1, 6)], rtol=1e-5)  # constant lr: a uniform average


def test_prodigy_estimate_only_grows():
    run = _ours("prodigy", "rosenbrock", (-1.2, 1.0), {}, 200)
    d = run.state["d"]
    assert np.all(np.diff(d) >= 0) and d[-1] > 100 * d[0]


def test_rprop_step_sizes_grow_while_the_sign_holds():
    run = _ours("rprop", "bowl", (0.8, -0.6), {"lr": 0.001, "etaplus": 1.5}, 6)
    np.testing.assert_allclose(run.state["step_size"][:, 0], [0.001 * 1.5**k for k in range(6)], rtol=1e-5)


def test_schedule_free_records_where_each_gradient_was_taken():
    run = run_race(SURFACES["booth"], (-3.0, -2.0), 30, [make_spec("sfadamw", {"lr": 0.05, "b1": 0.8})])[0]
    y, z, x = run.state["y"], run.state["z"], run.path
    np.testing.assert_allclose(y[0], x[0])
    np.testing.assert_allclose(y[1:], 0.8 * x[1:-1] + 0.2 * z[:-1], rtol=1e-5, atol=1e-6)


def test_newton_lands_on_a_quadratic_minimum_in_one_undamped_step():
    run = _ours("newton", "booth", (-8.0, -6.0), {"lr": 1.0, "damping": 1e-6, "max_step": 100.0}, 1)
    np.testing.assert_allclose(run.path[1], [1.0, 3.0], atol=1e-5)
    run = _ours("newton", "ellipse", (-1.8, 0.6), {"lr": 1.0, "damping": 1e-6, "max_step": 100.0}, 1)
    np.testing.assert_allclose(run.path[1], [0.0, 0.0], atol=1e-6)


def test_newton_is_refused_for_networks():
    from optviz.core.spec import SpecError
    from optviz.link import MnistConfig

    cfg, warnings = MnistConfig.from_query({"opt": ["newton", "adam"]})
    assert [s.name for s in cfg.specs] == ["adam"] and any("2D surfaces only" in w for w in warnings)
    with pytest.raises(SpecError, match="2D surfaces only"):
        MnistConfig.from_query({"opt": ["newton"]}, strict=True)


def test_lbfgs_keeps_at_most_history_size_pairs():
    run = _ours("lbfgs", "rosenbrock", (-1.2, 1.0), {"lr": 0.1, "history_size": 3}, 40)
    pairs = run.state["pairs"]
    assert pairs[0] == 0 and pairs.max() == 3 and np.all(np.diff(pairs) >= 0)
    assert run.loss[-1] < run.loss[0]


# --- L-BFGS's strong-Wolfe option --------------------------------------------------------------


@pytest.mark.parametrize(
    "surface,start", [("rosenbrock", (-1.2, 1.0)), ("himmelblau", (0.5, -0.5)), ("beale", (1.0, 1.3))]
)
def test_strong_wolfe_tries_the_steps_torch_tries(surface, start):
    """The search alone, from the steepest-descent direction: the same step and the same number
    of evaluations as torch's _strong_wolfe, for first trials that bracket at once, extrapolate
    or zoom, and for every evaluation budget."""
    from optviz.core.optimizers.linesearch import strong_wolfe

    f = ref.SURFACES[surface]
    x = np.asarray(start, np.float64)
    fx, g = f(x)
    d = -g
    objective = jax.value_and_grad(SURFACES[surface].loss)
    seen = set()
    # (First trials so short that f(x + t d) - f(x) is at float32's rounding level are left out:
    # there float32 and float64 disagree on whether the interpolating cubic has a minimum.)
    for t0 in (1e-3, 1e-2, 0.1, 1.0):
        for max_ls in (0, 1, 3, 24):
            want = ref.strong_wolfe(lambda x0, t, d: f(x0 + t * d), x, t0, d, fx, g, g @ d, max_ls=max_ls)
            got = strong_wolfe(
                objective,
                jnp.asarray(x, jnp.float32),
                jnp.float32(t0),
                jnp.asarray(d, jnp.float32),
                jnp.float32(fx),
                jnp.asarray(g, jnp.float32),
                jnp.float32(g @ d),
                jnp.int32(max_ls),
            )
            assert int(got[3]) == want[3], (t0, max_ls)
            np.testing.assert_allclose(float(got[2]), want[2], rtol=1e-4, atol=1e-9, err_msg=str((t0, max_ls)))
            seen.add(want[3])
    assert len(seen) >= 3  # the cases took different numbers of evaluations


@pytest.mark.parametrize(
    "surface,start", [("rosenbrock", (-1.2, 1.0)), ("himmelblau", (0.5, -0.5)), ("beale", (1.0, 1.3))]
)
def test_lbfgs_with_strong_wolfe_follows_torch(surface, start):
    hp = make_spec("lbfgs", dict(lr=1.0, history_size=5, line_search=1.0, max_eval=20)).hparams
    steps = 50
    run = _ours("lbfgs", surface, start, hp, steps)
    path, loss, _ = ref.trajectory("lbfgs", surface, start, hp, steps)
    # Float32 and float64 part ways after a dozen searched steps on Rosenbrock's curved valley,
    # or once the loss nears float32's resolution: the path is compared until then, and both
    # must have converged by the end.
    n = min(12, int(np.argmax(loss < 1e-9)) if np.any(loss < 1e-9) else len(loss))
    assert n > 5
    np.testing.assert_allclose(run.path[:n], path[:n], rtol=1e-4, atol=1e-5)
    assert loss[-1] < 1e-8 and run.loss[-1] < 1e-6
    plain, _, _ = ref.trajectory("lbfgs", surface, start, dict(hp, line_search=0.0), steps)
    assert loss[n - 1] < ref.SURFACES[surface](plain[n - 1])[0]  # the search made the difference

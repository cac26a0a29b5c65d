"""The second wave (LAMB to SAM, and cautious masking) against optax in float64, against their
references' formulas (tests/reference_second_wave.py), and the properties that pin them down."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz.core.engine.trajectory import run_race
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import make_spec
from tests import reference as ref
from tests.core.optimizers.test_optimizers import CASES, PLACES, STEPS, _optax_path, _optax_path32, _ours

# The second wave: optax's own transforms (MARS and SOAP have no optax version: their float64
# references are tests/reference_second_wave.py's).
SECOND_WAVE = {
    "lamb": lambda h: optax.lamb(
        h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"], eps_root=h["eps_root"], weight_decay=h["weight_decay"]
    ),
    "lars": lambda h: optax.lars(
        h["lr"],
        weight_decay=h["weight_decay"],
        trust_coefficient=h["trust_coefficient"],
        eps=h["eps"],
        momentum=h["momentum"],
        nesterov=bool(h["nesterov"]),
    ),
    "signum": lambda h: optax.signum(h["lr"], beta=h["beta"]),
    "adan": lambda h: optax.adan(
        h["lr"],
        b1=h["b1"],
        b2=h["b2"],
        b3=h["b3"],
        eps=h["eps"],
        eps_root=h["eps_root"],
        weight_decay=h["weight_decay"],
    ),
    "simplified_ademamix": lambda h: optax.contrib.simplified_ademamix(
        h["lr"],
        b1=h["b1"],
        b2=h["b2"],
        alpha=h["alpha"],
        eps=h["eps"],
        eps_root=h["eps_root"],
        weight_decay=h["weight_decay"],
    ),
    "dog": lambda h: optax.contrib.dog(
        h["lr"], init_step=("heuristic", h["init_step"]), eps=h["eps"], weight_decay=h["weight_decay"]
    ),
    "dadapt_adamw": lambda h: optax.contrib.dadapt_adamw(
        h["lr"], betas=(h["b1"], h["b2"]), eps=h["eps"], estim_lr0=h["estim_lr0"], weight_decay=h["weight_decay"]
    ),
    "sfsgd": lambda h: optax.contrib.schedule_free_sgd(
        h["lr"], b1=h["b1"], weight_decay=h["weight_decay"], weight_lr_power=h["weight_lr_power"]
    ),
    "sam": lambda h: optax.contrib.sam(
        optax.sgd(h["lr"], momentum=h["momentum"] or None),
        optax.chain(optax.contrib.normalize(), optax.sgd(h["rho"])),
        sync_period=2,
        opaque_mode=True,
    ),
}


def _compared_steps(name: str, surface: str, run, expected: np.ndarray) -> int:
    """How much of a run to hold against a float64 path: all of it, but not past divergence, nor
    past the first point more than 100 from the start (a run thrown out of the picture grows
    until float32's relative rounding of it exceeds any fixed tolerance), nor, for SAM, past the
    first loss under 1e-3: about a minimum g vanishes and its ascent direction g/||g|| turns
    chaotically."""
    k = len(run.path) if run.diverged_at is None else run.diverged_at
    far = np.abs(expected - expected[0]).max(axis=1) > 100
    if far.any():
        k = min(k, int(np.argmax(far)))
    if name == "sam":
        losses = np.array([ref.SURFACES[surface](p)[0] for p in expected])
        if (losses < 1e-3).any():
            k = min(k, int(np.argmax(losses < 1e-3)))
    return k


@pytest.mark.parametrize("name", list(SECOND_WAVE))
@pytest.mark.parametrize("surface,start", PLACES)
@pytest.mark.parametrize("settings", ["cases", "defaults"])
def test_second_wave_matches_optax_on_four_surfaces(name, surface, start, settings):
    """150 steps in float64, at the test settings and at the registry's defaults (which are
    optax's). DoG at its defaults is held against optax in float32 instead
    (test_dog_at_its_defaults_matches_optax_in_float32)."""
    if name == "dog" and settings == "defaults":
        pytest.skip("float32 and float64 part ways: see test_dog_at_its_defaults_matches_optax_in_float32")
    hp = make_spec(name, CASES[name] if settings == "cases" else {}).hparams
    expected = _optax_path(name, surface, start, hp, STEPS, SECOND_WAVE[name])
    run = _ours(name, surface, start, hp, STEPS)
    k = _compared_steps(name, surface, run, expected)
    assert k >= 2  # SF-SGD at its default lr of 1 leaves these pictures at once: its first steps
    np.testing.assert_allclose(run.path[:k], expected[:k], rtol=1e-4, atol=5e-5)


@pytest.mark.parametrize("surface,start", PLACES)
def test_dog_at_its_defaults_matches_optax_in_float32(surface, start):
    """DoG's first steps are init_step (1 + ||x_0||) ~ 1e-6 long, a few float32 spacings of the
    point, so its distance estimate r is quantised: float32 and float64 runs part by a few
    percent after ~40 steps. Against optax in float32 it agrees over 150 steps."""
    hp = make_spec("dog").hparams
    expected = _optax_path32(SECOND_WAVE["dog"](hp), surface, start, STEPS)
    run = _ours("dog", surface, start, hp, STEPS)
    np.testing.assert_allclose(run.path, expected, rtol=1e-3, atol=5e-4)
    assert np.abs(expected[-1] - expected[0]).max() > 0.05


# --- cautious masking --------------------------------------------------------------------------

CAUTIOUS = tuple(n for n, o in REGISTRY.items() if "cautious" in o.hparam_names)


def test_every_optimizer_with_the_cautious_key_has_a_written_out_cautious_reference():
    assert set(CAUTIOUS) == set(ref.second_wave.CAUTIOUS) == {"adamw", "lion", "ademamix", "mars"}


@pytest.mark.parametrize("name", CAUTIOUS)
@pytest.mark.parametrize("surface,start", PLACES)
def test_cautious_matches_its_written_out_reference(name, surface, start):
    hp = dict(ref.CASES[name], cautious=1.0)
    run = _ours(name, surface, start, hp)
    path, _, _ = ref.trajectory(name, surface, start, make_spec(name, hp).hparams, STEPS)
    n = STEPS + 1 if name != "lion" else 60  # Lion's sign steps oscillate about a minimum later on
    np.testing.assert_allclose(run.path[:n], path[:n], rtol=1e-4, atol=5e-5)
    assert np.abs(path[-1] - path[0]).max() > 0.1


@pytest.mark.parametrize("name", CAUTIOUS)
def test_cautious_masking_with_every_sign_agreeing_is_the_plain_optimizer(name):
    """With b1 = 0 each update points along the gradient (m = g, or c = g for Lion and MARS), so
    no component is ever masked: the cautious run is the plain one, bit for bit."""
    for surface, start in PLACES:
        hp = dict(ref.CASES[name], b1=0.0)
        if name == "ademamix":
            hp["alpha"] = 0.0  # the slow momentum would not follow g
        careful = _ours(name, surface, start, dict(hp, cautious=1.0), 100)
        plain = _ours(name, surface, start, dict(hp, cautious=0.0), 100)
        np.testing.assert_array_equal(careful.path, plain.path)
        assert np.all(careful.state["kept"] == 1.0)


def test_the_cautious_mask_drops_disagreeing_components_and_rescales_the_rest():
    from optviz.core.optimizers.base import cautious_mask

    on, off = {"cautious": jnp.float32(1.0)}, {"cautious": jnp.float32(0.0)}
    u = jnp.array([1.0, -2.0, 3.0, 0.5])
    g = jnp.array([2.0, 1.0, 1.0, -1.0])  # components 2 and 4 disagree
    np.testing.assert_array_equal(cautious_mask(u, g, on), [2.0, 0.0, 2.0, 0.0])
    np.testing.assert_array_equal(cautious_mask(u, g, off), [1.0, 1.0, 1.0, 1.0])
    # every component disagreeing: all dropped (the 1e-3 floor keeps the division finite)
    np.testing.assert_array_equal(cautious_mask(u, -u, on), [0.0, 0.0, 0.0, 0.0])
    # a sweep's layout [coordinates, runs]: each run's own mean
    us, gs = jnp.stack([u[:2], u[2:]], axis=1), jnp.stack([g[:2], g[2:]], axis=1)
    np.testing.assert_array_equal(cautious_mask(us, gs, on), [[2.0, 2.0], [0.0, 0.0]])


def test_cautious_lion_keeps_a_smaller_share_where_momentum_lags_the_gradient():
    """On Beale, momentum with b1 = 0.9 lags behind turns of the gradient: some updates lose a
    component (kept 0 there), and the run differs from plain Lion."""
    hp = {"lr": 0.01, "b1": 0.9, "b2": 0.99}
    careful = _ours("lion", "beale", (1.0, 1.3), dict(hp, cautious=1.0), 150)
    plain = _ours("lion", "beale", (1.0, 1.3), hp, 150)
    assert (careful.state["kept"] == 0.0).any()
    assert np.abs(careful.path - plain.path).max() > 1e-3


# --- SOAP and SAM ------------------------------------------------------------------------------


def test_soap_with_its_eigenbasis_frozen_at_the_identity_is_adam():
    """A basis set to I and never refreshed: SOAP's step is Adam's with eps added to sqrt(v)
    rather than to sqrt(v_hat) (Kingma & Ba's 'efficient' form), so with eps tiny the paths agree."""
    from optviz.core.optimizers.soap import SoapState

    soap, adam = REGISTRY["soap"], REGISTRY["adam"]
    hp = {"lr": 0.02, "b1": 0.8, "b2": 0.9, "eps": 1e-12, "weight_decay": 0.0}
    soap_hp = {k: jnp.float32(v) for k, v in dict(hp, shampoo_beta=-1.0, precondition_frequency=1000.0).items()}
    adam_hp = {
        k: jnp.float32(v) for k, v in make_spec("adam", {k: hp[k] for k in ("lr", "b1", "b2", "eps")}).hparams.items()
    }
    eye, zeros = jnp.eye(2), jnp.zeros(2)
    state = SoapState(jnp.int32(1), jnp.int32(0), jnp.float32(0), (zeros,), (zeros,), ((eye,),), ((eye,),))
    x = y = jnp.array([1.0, 1.3])
    adam_state = adam.init(y)
    grad = jax.jit(jax.grad(SURFACES["beale"].loss))
    soap_step, adam_step = jax.jit(soap.update), jax.jit(adam.update)
    for _ in range(150):
        x, state = soap_step(grad(x), state, x, soap_hp)
        y, adam_state = adam_step(grad(y), adam_state, y, adam_hp)
        np.testing.assert_array_equal(state.q[0][0], eye)
    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    assert np.abs(np.asarray(y) - [1.0, 1.3]).max() > 0.5


def test_soap_turns_its_basis_on_schedule_and_only_then():
    run = _ours("soap", "beale", (1.0, 1.3), {"lr": 0.03, "precondition_frequency": 5}, 40)
    refreshed = np.flatnonzero(run.state["refreshed"])
    # the first call sets the basis up; Adam's steps 5, 10, ... (calls 6, 11, ...) refresh it
    np.testing.assert_array_equal(refreshed, [5, 10, 15, 20, 25, 30, 35])
    turned = np.flatnonzero(np.diff(run.state["basis_angle"]) != 0) + 1
    assert set(turned) <= set(refreshed) and len(turned) >= 3


@pytest.mark.parametrize("surface,start", PLACES)
def test_sam_with_rho_zero_is_its_inner_optimizer(surface, start):
    for mu, inner in (
        (0.0, make_spec("sgd", {"lr": 0.003})),
        (0.7, make_spec("momentum", {"lr": 0.003, "momentum": 0.7})),
    ):
        sam = _ours("sam", surface, start, {"lr": 0.003, "rho": 0.0, "momentum": mu}, STEPS)
        plain = run_race(SURFACES[surface], start, STEPS, [inner])[0]
        np.testing.assert_allclose(sam.path, plain.path, rtol=1e-6, atol=1e-6)


def test_sam_takes_its_gradient_rho_away_along_the_gradient():
    run = _ours("sam", "beale", (1.0, 1.3), {"lr": 0.003, "rho": 0.1}, 20)
    ascent, path = run.state["ascent"], run.path[:-1]
    np.testing.assert_allclose(np.linalg.norm(ascent - path, axis=1), 0.1, rtol=1e-4)
    grads = np.array([ref.SURFACES["beale"](p)[1] for p in path])
    cos = np.sum((ascent - path) * grads, axis=1) / (0.1 * np.linalg.norm(grads, axis=1))
    np.testing.assert_allclose(cos, 1.0, rtol=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    # No subnormals: XLA on CPU reads them as 0 (so the mask is 0 there), NumPy's sign does not.
    st.lists(st.floats(-1000.0, 1000.0, width=32, allow_subnormal=False), min_size=1, max_size=8),
    st.lists(st.floats(0.5**20, 1000.0, width=32), min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=1, max_size=8),
)
def test_the_cautious_mask_is_one_where_signs_agree_and_zero_where_not(values, sizes, flips):
    """Any update and gradient: the mask is 0 exactly where the signs differ (or either is 0), the
    same positive number elsewhere, and its mean is 1 whenever anything is kept; with every sign
    agreeing it is exactly 1."""
    from optviz.core.optimizers.base import cautious_mask

    n = min(len(values), len(sizes), len(flips))
    u = np.array(values[:n], np.float32)
    g = np.where(flips[:n], -1.0, 1.0).astype(np.float32) * np.sign(u) * np.array(sizes[:n], np.float32)
    mask = np.asarray(cautious_mask(jnp.asarray(u), jnp.asarray(g), {"cautious": jnp.float32(1.0)}))
    agree = np.sign(u) * np.sign(g) > 0
    assert np.all(mask[~agree] == 0)
    if agree.any():
        assert np.allclose(mask[agree], mask[agree][0]) and np.isclose(mask.mean(), 1.0, rtol=1e-6)
    if agree.all():
        np.testing.assert_array_equal(mask, np.ones(n))


@pytest.mark.parametrize(
    "opt, xs",
    [
        ("sam:lr=0.003", "rho=0:0.1:3"),
        ("lamb:lr=0.02", "lr=0.005:0.02:3:log"),
        ("lars:lr=3", "trust_coefficient=1e-3:3e-3:3:log"),
        ("mars:lr=0.05,cautious=1", "lr=0.01:0.1:3:log"),
        ("adamw:lr=0.05,cautious=1", "b1=0.5:0.9:3"),
        ("lion:lr=0.01,cautious=1", "lr=0.003:0.03:3:log"),
        ("soap:lr=0.05,eps=1e-3", "lr=0.01:0.1:3:log"),
        ("dog:init_step=1e-3", "lr=0.5:1.5:3"),
    ],
)
def test_a_sweeps_cells_are_the_single_runs(opt, xs):
    """Norms over a run's coordinates (SAM's ascent, LAMB's and LARS's trust ratios, MARS's clip,
    the cautious mask) are taken along axis 0, the coordinates in a sweep's [2, runs] layout as in
    a run's [2]: each cell of a 3 x 3 sweep is that cell's own run. (Settings whose runs are not
    chaotic: the sweep's kernel is compiled apart from the runs', equal to float32 precision, and
    a run that bounces about a point with fixed-size steps, LAMB's or LARS's at a large ratio, or
    SAM's near Himmelblau's local maximum at (-0.27, -0.92), parts from any other program's: the
    starts here are above it.)"""
    from optviz.core.engine.sweep import cell_settings, run_sweep
    from optviz.core.spec import parse_axis, parse_spec

    surface, spec = SURFACES["himmelblau"], parse_spec(opt)
    x, y = parse_axis("--x", xs, spec.name), parse_axis("--y", "y=1:3:3", spec.name)
    result = run_sweep(surface, spec, x, y, steps=80)
    for i in range(y.n):
        for j in range(x.n):
            cell, start = cell_settings(spec, x, y, i, j, surface.start)
            run = run_race(surface, start, 80, [cell])[0]
            assert run.diverged_at is None
            np.testing.assert_allclose(result.final_point[i, j], run.path[-1], rtol=2e-5, atol=1e-5)

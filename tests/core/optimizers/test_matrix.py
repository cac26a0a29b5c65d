"""The matrix-aware optimizers (Muon, Adafactor) and Sophia on networks, against written-out
float64 references of torch's and optax's formulas, and what each one promises."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from optviz.core.engine.network import flat_value_and_grad, hutchinson_diagonal, network_rule, training_step
from optviz.core.engine.training import cross_entropy, train_race
from optviz.core.engine.trajectory import run_race
from optviz.core.optimizers import NETWORK_NAMES, REGISTRY, SURFACE_NAMES
from optviz.core.optimizers.base import Leaf
from optviz.core.optimizers.matrix import newton_schulz
from optviz.core.problems.mnist_data import load
from optviz.core.problems.mnist_models import MODELS, leaves
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, make_spec, parse_spec, parse_surface_spec
from tests import reference as ref

# A small network's tensors, as the models lay them out: a bias, a one-channel 3x3 convolution
# kernel stored (9, C) (torch: (C, 1, 3, 3)), a wide and a tall dense weight stored (in, out).
TOY = (
    Leaf(0, (4,), (4,)),
    Leaf(4, (9, 4), (4, 1, 3, 3), transpose=True),
    Leaf(40, (12, 5), (5, 12), transpose=True),
    Leaf(100, (5, 8), (8, 5), transpose=True),
)
SIZE = 140


def _torch_views(flat: np.ndarray) -> list[np.ndarray]:
    """The toy's tensors in torch's layout, cut out by hand (not by Leaf.to_torch)."""
    return [
        flat[0:4],
        flat[4:40].reshape(9, 4).T.reshape(4, 1, 3, 3),
        flat[40:100].reshape(12, 5).T,
        flat[100:140].reshape(5, 8).T,
    ]


def _gradients(steps: int, seed: int = 0) -> np.ndarray:
    """A fixed sequence of gradients whose scale drifts, so the running averages matter."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(steps, SIZE)) * np.linspace(1.0, 0.2, steps)[:, None]


def _ours(name: str, hp: dict, steps: int) -> np.ndarray:
    init, update, _ = REGISTRY[name].for_network(TOY)
    x = jnp.asarray(np.random.default_rng(1).normal(size=SIZE), jnp.float32)
    state = init(x)
    spec = make_spec(name, hp)
    values = {k: jnp.float32(v) for k, v in spec.settings().items()}
    step = jax.jit(update)
    for g in _gradients(steps):
        x, state = step(jnp.asarray(g, jnp.float32), state, x, values)
    return np.asarray(x)


def test_leaf_views_match_torch_layouts():
    flat = np.arange(SIZE, dtype=np.float64)
    for leaf, expected in zip(TOY, _torch_views(flat)):
        np.testing.assert_array_equal(leaf.to_torch(flat), expected)
        np.testing.assert_array_equal(leaf.from_torch(expected), flat[leaf.start : leaf.start + leaf.size])


def test_model_leaves_cover_the_raveled_parameters():
    for model in MODELS.values():
        found = leaves(model)
        assert sum(leaf.size for leaf in found) == model.param_count()
        assert [leaf.start for leaf in found] == list(np.cumsum([0] + [leaf.size for leaf in found[:-1]]))
    kinds = {leaf.torch_shape for leaf in leaves(MODELS["cnn"])}
    assert (32, 1, 3, 3) in kinds and (128, 5408) in kinds and (10, 128) in kinds


@pytest.mark.parametrize("shape", [(64, 200), (200, 64), (10, 10)])
def test_newton_schulz_is_nearly_orthogonal(shape):
    g = np.random.default_rng(2).normal(size=shape) @ np.diag(np.geomspace(1, 100, shape[1]))
    o = np.asarray(newton_schulz(jnp.asarray(g, jnp.float32), jnp.float32(5), jnp.float32(1e-7)))
    np.testing.assert_allclose(o, ref.newton_schulz(g, 5), rtol=2e-3, atol=2e-4)
    singular = np.linalg.svd(o, compute_uv=False)
    assert singular.min() > 0.5 and singular.max() < 1.5  # torch's docs: S' ~ Uniform(0.5, 1.5)
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    # the direction is U V^T's: their inner product is most of |U V^T|^2 = min(shape)
    assert np.sum(o * (u @ vt)) > 0.7 * min(shape)
    assert np.linalg.svd(g / np.linalg.norm(g), compute_uv=False).min() < 0.05  # the input was far from it


def _muon_reference(hp: dict, steps: int) -> np.ndarray:
    x = np.random.default_rng(1).normal(size=SIZE).astype(np.float32).astype(np.float64)
    adamw_hp = {
        "lr": hp["adamw_lr"],
        "b1": hp["adamw_b1"],
        "b2": hp["adamw_b2"],
        "eps": hp["adamw_eps"],
        "weight_decay": hp["adamw_weight_decay"],
    }
    states = [{} for _ in TOY]
    for t, g in enumerate(_gradients(steps), start=1):
        new = []
        for leaf, p, gl, s in zip(TOY, _torch_views(x), _torch_views(g), states):
            p = ref.muon_matrix(p, gl, s, hp) if p.ndim == 2 else ref.adamw_tensor(p, gl, s, adamw_hp, t)
            new.append(leaf.from_torch(p))
        x = np.concatenate(new)
    return x


def test_muon_matches_torch_formulas_over_many_steps():
    hp = make_spec(
        "muon",
        dict(
            lr=0.01,
            weight_decay=0.05,
            momentum=0.9,
            ns_steps=4,
            adamw_lr=0.003,
            adamw_b1=0.8,
            adamw_b2=0.99,
            adamw_eps=1e-6,
            adamw_weight_decay=0.02,
        ),
    ).hparams
    ours, expected = _ours("muon", hp, 40), _muon_reference(hp, 40)
    np.testing.assert_allclose(ours, expected, rtol=1e-3, atol=1e-4)
    start = np.random.default_rng(1).normal(size=SIZE)
    assert np.abs(expected - start).max() > 0.1  # it moved
    plain = make_spec("muon", dict(hp, nesterov=0.0)).hparams
    np.testing.assert_allclose(_ours("muon", plain, 20), _muon_reference(plain, 20), rtol=1e-3, atol=1e-4)


def _adafactor_reference(hp: dict, steps: int) -> np.ndarray:
    x = np.random.default_rng(1).normal(size=SIZE).astype(np.float32).astype(np.float64)
    states = [{} for _ in TOY]
    for t, g in enumerate(_gradients(steps), start=1):
        x = np.concatenate(
            [
                leaf.from_torch(ref.adafactor_tensor(p, gl, s, hp, t))
                for leaf, p, gl, s in zip(TOY, _torch_views(x), _torch_views(g), states)
            ]
        )
    return x


def test_adafactor_factors_matrices_as_torch_does():
    hp = make_spec("adafactor", dict(lr=0.03, beta2_decay=-0.6, eps1=1e-6, eps2=1e-2, d=1.2, weight_decay=0.05)).hparams
    ours, expected = _ours("adafactor", hp, 40), _adafactor_reference(hp, 40)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)
    state = REGISTRY["adafactor"].for_network(TOY)[0](jnp.zeros(SIZE))
    # the matrices keep a row and a column factor, the bias a full vector
    assert state.row[2].shape == (5, 1) and state.col[2].shape == (1, 12) and state.variance[0].shape == (4,)
    assert state.row[1].shape == (4, 1, 3, 1) and state.col[1].shape == (4, 1, 1, 3)


def test_muon_is_not_offered_on_surfaces_and_says_why():
    assert "muon" not in SURFACE_NAMES and "muon" in NETWORK_NAMES
    with pytest.raises(SpecError, match=r"muon: not offered on the 2D surfaces.*matrix"):
        parse_surface_spec("muon:lr=0.02")
    assert parse_surface_spec("adafactor").name == "adafactor"


def test_sophia_matches_optax_with_the_exact_diagonal():
    hp = dict(lr=0.02, b1=0.9, b2=0.95, eps=1e-6, weight_decay=0.01, gamma=0.05, clip_threshold=0.5, update_interval=3)
    surface, start, steps = "himmelblau", (0.5, -0.5), 100
    grad = lambda p: ref.SURFACES[surface](np.asarray(p))[1]
    exact = optax.GradientTransformationExtraArgs(
        lambda p: optax.EmptyState(),
        lambda u, s, params=None, **kw: (jnp.asarray(ref._hessian_diagonal(np.asarray(params), grad)), s),
    )
    with jax.enable_x64(True):
        tx = optax.contrib.sophia(
            hp["lr"],
            b1=hp["b1"],
            b2=hp["b2"],
            eps=hp["eps"],
            weight_decay=hp["weight_decay"],
            gamma=hp["gamma"],
            clip_threshold=hp["clip_threshold"],
            update_interval=3,
            hessian_diagonal_fn=exact,
        )
        x = jnp.asarray(start, jnp.float64)
        state, path = tx.init(x), [np.asarray(x)]
        for _ in range(steps):
            updates, state = tx.update(jnp.asarray(grad(x)), state, x)
            x = optax.apply_updates(x, updates)
            path.append(np.asarray(x))
    run = run_race(SURFACES[surface], start, steps, [make_spec("sophia", hp)])[0]
    np.testing.assert_allclose(run.path, np.array(path), rtol=1e-4, atol=5e-5)
    assert run.state["clip_fraction"].min() >= 0.0 and run.state["clip_fraction"].max() <= 1.0
    assert run.state["clip_fraction"][0] == 1.0  # h = 0 at first: every coordinate is clipped


def test_hutchinson_is_exact_for_a_diagonal_hessian_and_unbiased_otherwise():
    d = jnp.asarray([1.0, -2.0, 3.0, 0.5])
    est = hutchinson_diagonal(jax.grad(lambda p: 0.5 * jnp.sum(d * p * p)), jnp.ones(4), jax.random.PRNGKey(0))
    np.testing.assert_allclose(est, d, rtol=1e-6)  # u_i^2 = 1
    a = np.random.default_rng(3).normal(size=(4, 4))
    h = jnp.asarray(a @ a.T)
    keys = jax.random.split(jax.random.PRNGKey(1), 4000)
    mean = jax.vmap(lambda k: hutchinson_diagonal(jax.grad(lambda p: 0.5 * p @ h @ p), jnp.zeros(4), k))(keys).mean(0)
    np.testing.assert_allclose(mean, np.diag(h), atol=0.15 * np.abs(h).max())


def test_sophia_on_mnist_refreshes_h_every_k_steps():
    """h = (1-b2) u*(Hu) after the first update (optax refreshes at count 0), unchanged until
    update k+1; the race records the clip fraction."""
    data = load(None)
    spec = parse_spec("sophia:lr=0.001,update_interval=3,b2=0.9")
    model = MODELS["logreg"]
    flat, unravel = ravel_pytree(model.init(jax.random.PRNGKey(0)))

    def loss_fn(p, images, labels):
        return cross_entropy(model.apply(unravel(p), images), labels)

    tree_loss = lambda params, images, labels: cross_entropy(model.apply(params, images), labels)
    step = jax.jit(training_step("logreg", "sophia", flat_value_and_grad(tree_loss, unravel)))
    hp = {k: jnp.float32(v) for k, v in spec.settings().items()}
    x, y = jnp.asarray(data.train_images[:60]), jnp.asarray(data.train_labels[:60].astype(np.int32))
    key, state, params, hs = jax.random.PRNGKey(7), network_rule("logreg", "sophia")[0](flat), flat, []
    for t in range(4):
        params, state, _ = step(params, state, hp, x, y, np.int32(t), np.int32(10), key)
        hs.append(np.asarray(state.h))
    # the reference differentiates through unravel (jax's own way), the step does not; the two
    # sum u * (H u) in different orders, which float32 shows in entries near 1e-5 (a few 1e-9 apart
    # under jax 0.8), so the absolute tolerance is 1e-8
    first = 0.1 * np.asarray(
        hutchinson_diagonal(jax.grad(lambda p: loss_fn(p, x, y)), flat, jax.random.fold_in(key, 0))
    )
    np.testing.assert_allclose(hs[0], first, rtol=1e-5, atol=1e-8)
    assert np.abs(first).max() > 0
    np.testing.assert_array_equal(hs[1], hs[0]), np.testing.assert_array_equal(hs[2], hs[0])
    assert not np.allclose(hs[3], hs[0])
    run = train_race("logreg", [spec], data, epochs=1, batch_size=60, train_size=600, test_size=100)[0]
    assert 0.0 < run.state["clip_fraction"][0] < 1.0
    assert run.test_accuracy[0] > 0.3  # ten small steps from chance (0.1)


def test_muon_reaches_adams_accuracy_after_one_epoch_at_the_same_budget():
    """The seed's CNN, one epoch of the bundled 12,000 images in batches of 60, the same
    initialisation and batches; Muon at lr 0.02 (torch's documentation's example), Adam at its
    default lr."""
    data = load(None)
    adam, muon = train_race("cnn", [parse_spec("adam"), parse_spec("muon:lr=0.02")], data, epochs=1)
    assert muon.test_accuracy[0] >= adam.test_accuracy[0] > 0.85

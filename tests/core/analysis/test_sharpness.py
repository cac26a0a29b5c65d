"""Sharpness on MNIST: the power iteration against numpy's eigensolver on a tiny model, the
measurement's eigenpair on the MLP, and the edge of stability itself."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from optviz.core.analysis.sharpness import _programs, edge_of_stability, top_eigenvalue
from optviz.core.problems.mnist_data import load_bundled
from optviz.core.spec import SpecError, parse_spec


def _tiny_problem():
    """Softmax regression with a hidden tanh layer on random data: 5 -> 4 -> 3, 39 parameters."""
    rng = np.random.default_rng(0)
    x, y = jnp.asarray(rng.normal(size=(40, 5)), jnp.float32), jnp.asarray(rng.integers(0, 3, 40))
    params = {
        "w1": jnp.asarray(rng.normal(size=(5, 4)) * 0.5, jnp.float32),
        "b1": jnp.zeros(4),
        "w2": jnp.asarray(rng.normal(size=(4, 3)) * 0.5, jnp.float32),
        "b2": jnp.zeros(3),
    }
    flat, unravel = ravel_pytree(params)

    def loss(f):
        p = unravel(f)
        logits = jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(40), y])

    return loss, flat


def test_power_iteration_finds_the_top_eigenvalue_of_the_full_hessian():
    loss, flat = _tiny_problem()
    h = np.asarray(jax.hessian(loss)(flat), np.float64)
    eig = np.linalg.eigvalsh((h + h.T) / 2)
    assert eig[-1] > abs(eig[0])  # the top eigenvalue is the largest in size: power iteration finds it
    hvp = lambda v: jax.jvp(jax.grad(loss), (flat,), (v,))[1]
    lam, _ = top_eigenvalue(hvp, jax.random.normal(jax.random.PRNGKey(1), flat.shape), 300)
    assert float(lam) == pytest.approx(eig[-1], rel=1e-3)
    p = jnp.asarray(np.random.default_rng(2).uniform(0.1, 3.0, flat.shape), jnp.float32)
    lam_p, _ = top_eigenvalue(lambda v: hvp(v / jnp.sqrt(p)) / jnp.sqrt(p), jnp.ones_like(flat), 600)
    want = max(np.linalg.eigvals(np.diag(1 / np.asarray(p, np.float64)) @ h).real)
    assert float(lam_p) == pytest.approx(want, rel=1e-3)


def test_the_mlp_measurement_returns_an_eigenpair():
    data = load_bundled()
    _, measure = _programs("mlp", "sgd", "mse")
    from optviz.core.problems.mnist_models import MODELS

    flat, _ = ravel_pytree(MODELS["mlp"].init(jax.random.PRNGKey(0)))
    x, y = jnp.asarray(data.train_images[:200]), jnp.asarray(data.train_labels[:200].astype(np.int32))
    hp = {k: jnp.float32(v) for k, v in parse_spec("sgd").settings().items()}
    v0 = jax.random.normal(jax.random.PRNGKey(3), flat.shape)
    lam, _, v, _ = measure(flat, None, hp, x, y, v0, v0, np.int32(100))
    hv = _hvp_mse(flat, x, y, v)
    assert float(jnp.linalg.norm(hv - lam * v)) < 0.02 * float(lam)  # H v = lam v
    for seed in range(3):  # and no direction curves more
        u = jax.random.normal(jax.random.PRNGKey(10 + seed), flat.shape)
        u = u / jnp.linalg.norm(u)
        assert float(jnp.vdot(u, _hvp_mse(flat, x, y, u))) < float(lam)


def _unravel():
    from optviz.core.problems.mnist_models import MODELS

    return ravel_pytree(MODELS["mlp"].init(jax.random.PRNGKey(0)))[1]


def _hvp_mse(flat, x, y, v):
    from optviz.core.problems.mnist_models import MODELS

    unravel = _unravel()

    def loss(f):
        out = MODELS["mlp"].apply(unravel(f), x)
        return 0.5 * jnp.mean(jnp.sum((out - jax.nn.one_hot(y, 10)) ** 2, axis=1))

    return jax.jvp(jax.grad(loss), (flat,), (v,))[1]


def test_gradient_descent_trains_at_the_edge_of_stability():
    """sgd lr=0.2: the sharpness starts far above 2/eta = 10, is thrown below it, sharpens again
    and then hovers just under the threshold."""
    run = edge_of_stability("mlp", parse_spec("sgd:lr=0.2"), load_bundled(), steps=160, every=10, images=500, iters=10)
    limit = run.threshold[0]
    assert limit == pytest.approx(10.0)
    assert run.sharpness[0] > 2 * limit and min(run.sharpness) < 0.5 * limit
    assert all(0.85 * limit < s < 1.03 * limit for s in run.sharpness[-5:])
    assert run.loss[-1] < 0.2 * run.loss[0]


def test_bad_edge_settings_are_refused():
    data = load_bundled()
    with pytest.raises(SpecError, match="images: must be a whole number from 1 to 5000"):
        edge_of_stability("mlp", parse_spec("sgd"), data, steps=10, every=5, images=9000)
    with pytest.raises(SpecError, match="warmup"):
        edge_of_stability("mlp", parse_spec("sgd:warmup=20"), data, steps=10, every=5, images=100)


def test_adams_preconditioned_measurement_is_an_eigenpair_of_p_inverse_h():
    """After a few Adam steps: lam_p and v satisfy P^-1/2 H P^-1/2 v = lam_p v, with P written out
    here in float64 from the state (1 - b1^t)(sqrt(v / (1 - b2^t)) + eps)."""
    from optviz.core.optimizers import REGISTRY
    from optviz.core.problems.mnist_models import MODELS

    data = load_bundled()
    step, measure = _programs("mlp", "adam", "mse")
    flat, _ = ravel_pytree(MODELS["mlp"].init(jax.random.PRNGKey(0)))
    x, y = jnp.asarray(data.train_images[:200]), jnp.asarray(data.train_labels[:200].astype(np.int32))
    hp = {k: jnp.float32(v) for k, v in parse_spec("adam:lr=0.01,b1=0.8").settings().items()}
    state = REGISTRY["adam"].init(flat)
    for t in range(3):
        flat, state, _ = step(flat, state, hp, x, y, np.int32(t), np.int32(3), jax.random.PRNGKey(0))
    v0 = jax.random.normal(jax.random.PRNGKey(4), flat.shape)
    _, lam_p, _, v = measure(flat, state, hp, x, y, v0, v0, np.int32(150))
    p = (1 - 0.8**3) * (np.sqrt(np.asarray(state.v, np.float64) / (1 - 0.999**3)) + 1e-8)
    s = jnp.asarray(1 / np.sqrt(p), jnp.float32)
    mv = s * _hvp_mse(flat, x, y, s * v)
    assert float(lam_p) > 0 and float(jnp.linalg.norm(mv - lam_p * v)) < 0.05 * float(lam_p)

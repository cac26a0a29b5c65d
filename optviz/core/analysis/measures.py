"""Numbers derived from surfaces and runs for the plots and tables: loss grids, gradient
fields, distance to the nearest minimum, steps to a tolerance. NumPy out, JAX inside."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from optviz.core.engine import compiled
from optviz.core.problems.surfaces import Surface


def loss_grid(surface: Surface, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs [n], ys [n] and the loss Z [n, n] (rows indexed by y) over the surface's domain, read-only
    (the app shares them between sessions: optviz.app.kit.runs)."""
    xmin, xmax, ymin, ymax = surface.domain
    xs = np.linspace(xmin, xmax, n, dtype=np.float32)
    ys = np.linspace(ymin, ymax, n, dtype=np.float32)
    z = np.asarray(compiled.call(_grid_eval(surface), jnp.asarray(xs), jnp.asarray(ys)), np.float32)
    for a in (xs, ys, z):
        a.flags.writeable = False
    return xs, ys, z


@functools.lru_cache(maxsize=64)
def _grid_eval(surface: Surface):
    return jax.jit(lambda xs, ys: surface.fn(xs[None, :], ys[:, None]))


@functools.lru_cache(maxsize=64)
def _gradients(surface: Surface):
    return jax.jit(jax.vmap(jax.grad(surface.loss)))


def gradient_field(surface: Surface, n: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points [n*n, 2] on a coarse grid inside the domain and the gradient [n*n, 2] at each."""
    xmin, xmax, ymin, ymax = surface.domain
    pad_x, pad_y = (xmax - xmin) / (2 * n), (ymax - ymin) / (2 * n)
    gx, gy = np.meshgrid(np.linspace(xmin + pad_x, xmax - pad_x, n), np.linspace(ymin + pad_y, ymax - pad_y, n))
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    grads = np.asarray(compiled.call(_gradients(surface), jnp.asarray(points)))
    return points, grads, np.linalg.norm(grads, axis=1)


def distance_to_nearest_minimum(path: np.ndarray, surface: Surface) -> np.ndarray | None:
    """Euclidean distance from each point of ``path`` [k, 2] to the closest listed minimum."""
    if not surface.minima:
        return None
    minima = np.array([[m.x, m.y] for m in surface.minima], np.float64)
    diff = path[:, None, :].astype(np.float64) - minima[None, :, :]
    return np.sqrt((diff**2).sum(-1)).min(axis=1)


def steps_to_tolerance(loss: np.ndarray, surface: Surface, tol: float) -> int | None:
    """The first step whose loss is within ``tol`` of the global minimum's value."""
    f_min = surface.f_min
    if f_min is None:
        return None
    hits = np.nonzero(loss - f_min <= tol)[0]
    return int(hits[0]) if hits.size else None


def first_step_sizes(name: str, hparams: dict, scales) -> np.ndarray:
    """|x_1 - x_0| of one step of optimizer ``name`` for gradients (scale, scale), one per scale."""
    from optviz.core.optimizers import REGISTRY
    from optviz.core.optimizers.step import Problem, step

    opt = REGISTRY[name]
    hp = {k: jnp.float32(v) for k, v in hparams.items()}
    x = jnp.zeros(2, jnp.float32)

    def first(scale: float) -> float:
        problem = Problem(gradient=lambda p: (jnp.full(2, scale, jnp.float32), None))
        return float(jnp.abs(step(opt, problem, x, opt.init(x), hp, 0, 1).params - x)[0])

    return np.asarray([first(s) for s in scales])


def state_per_parameter(name: str) -> int:
    """How many numbers an optimizer keeps for every parameter (its state arrays shaped like them)."""
    from optviz.core.optimizers import REGISTRY

    params = jnp.zeros(7, jnp.float32)  # an odd size that no scalar field shares
    state = REGISTRY[name].init(params)
    return sum(1 for leaf in jax.tree.leaves(state) if jnp.shape(leaf) == params.shape)


def state_per_network_parameter(name: str, model: str = "cnn") -> float | None:
    """Numbers of optimizer state per trainable number of an MNIST model (shapes only, nothing
    computed); None for an optimizer that cannot train a network. Adafactor's factored matrices
    show here: far below Adam's 2."""
    from optviz.core.engine.network import network_rule
    from optviz.core.optimizers import NETWORK_NAMES
    from optviz.core.problems.mnist_models import MODELS

    if name not in NETWORK_NAMES:
        return None
    n = MODELS[model].param_count()
    state = jax.eval_shape(network_rule(model, name)[0], jax.ShapeDtypeStruct((n,), jnp.float32))
    return sum(leaf.size for leaf in jax.tree.leaves(state) if leaf.ndim > 0) / n

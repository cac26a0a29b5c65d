"""Loss landscapes of the MNIST models (Li et al., 2018): 2D slices of parameter space with
every optimizer's real path projected onto the same slice.

Directions:
- ``pca``: the top two principal directions of all the optimizers' recorded parameters
  together (so the paths share one plane), centred at the mean of their final points, with
  the variance each direction explains;
- ``random``: two random directions, filter-normalised (each filter's slice of the direction
  scaled to that filter's norm in the weights), through one optimizer's final point.
The loss is evaluated on a grid over a fixed batch, all points in one jitted, vmapped call.
Paths leave the plane, so each comes with its true loss beside the slice's value under it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz.core.engine.cost import COMPILE_SECONDS
from optviz.core.engine.training import cross_entropy
from optviz.core.limits import MAX_LANDSCAPE_GRID, MIN_LANDSCAPE_GRID
from optviz.core.problems.mnist_models import MODELS
from optviz.core.spec import SpecError


@dataclass
class Plane:
    """A 2D slice: origin + a * d1 + b * d2 (flat parameter vectors)."""

    origin: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    explained_variance: tuple[float, float] | None = None

    def project(self, points: np.ndarray) -> np.ndarray:
        """Least-squares (a, b) of each point [n, P] in this plane's coordinates (normal equations:
        the basis is two vectors)."""
        basis = np.stack([self.d1, self.d2], axis=1).astype(np.float32)  # [P, 2]
        rhs = ((np.asarray(points, np.float32) - self.origin) @ basis).astype(np.float64)  # [n, 2]
        gram = basis.T.astype(np.float64) @ basis.astype(np.float64)
        return np.linalg.solve(gram, rhs.T).T


def pca_plane(paths: list[np.ndarray]) -> Plane:
    """The top two principal directions of all recorded points [n_i, P], about the mean of the final points."""
    origin = np.asarray(np.mean([p[-1] for p in paths], axis=0, dtype=np.float64), np.float32)
    points = np.concatenate(paths) - origin  # float32: the top two directions need no more
    # Through the small Gram matrix X X^T [n, n] rather than an SVD of X [n, P]: the same right
    # singular vectors, V = U^T X / s, in a fraction of the time (n is ~100, P ~700,000).
    eig, u = np.linalg.eigh((points @ points.T).astype(np.float64))
    order = np.argsort(eig)[::-1][:2]
    s2 = np.maximum(eig[order], 1e-300)
    vt = (u[:, order].T.astype(np.float32) @ points) / np.sqrt(s2).astype(np.float32)[:, None]
    total = float(np.maximum(eig, 0.0).sum()) or 1.0
    return Plane(
        origin,
        vt[0].astype(np.float32),
        vt[1].astype(np.float32),
        (float(s2[0] / total), float(s2[1] / total)),
    )


def filter_normalize(direction, weights):
    """Li et al.'s filter normalisation on parameter pytrees: every filter (the last axis of a
    kernel, i.e. one output unit) of ``direction`` rescaled to that filter's norm in ``weights``;
    biases are set to zero, as in the paper."""

    def one(d, w):
        if d.ndim <= 1:
            return jnp.zeros_like(d)
        axes = tuple(range(d.ndim - 1))
        return d / (jnp.linalg.norm(d, axis=axes, keepdims=True) + 1e-10) * jnp.linalg.norm(w, axis=axes, keepdims=True)

    return jax.tree.map(one, direction, weights)


def random_plane(model_name: str, center: np.ndarray, seed: int = 0) -> Plane:
    """Two filter-normalised random directions through ``center`` (a flat parameter vector)."""
    model = MODELS[model_name]
    _, unravel = ravel_pytree(model.init(jax.random.PRNGKey(0)))
    weights = unravel(jnp.asarray(center))
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    dirs = []
    for k in (k1, k2):
        leaves, tree = jax.tree.flatten(weights)
        keys = jax.random.split(k, len(leaves))
        rand = jax.tree.unflatten(tree, [jax.random.normal(kk, leaf.shape) for kk, leaf in zip(keys, leaves)])
        dirs.append(np.asarray(ravel_pytree(filter_normalize(rand, weights))[0]))
    return Plane(np.asarray(center, np.float32), dirs[0], dirs[1], None)


BLOCK = 8  # points per compiled call: every call has this shape (the last block is padded)
IMAGE_CHUNK = 200  # images per step of the inner loop (measured best of 25..1000 for the CNN here)


@functools.lru_cache(maxsize=8)
def _block_loss_fns(model_name: str):
    """Jitted: the mean loss over the images at each of BLOCK points, given as flat parameter
    vectors [BLOCK, P] (``raw``), or as plane coordinates [BLOCK, 2] (``planar``: the points are
    made on the device, so a grid costs no host memory or transfers)."""
    model = MODELS[model_name]
    _, unravel = ravel_pytree(model.init(jax.random.PRNGKey(0)))

    def at_point(flat, xs, ys):
        # Images in chunks: the CNN's activations for 1,000 images at once are 86 MB.
        params = unravel(flat)
        return jnp.mean(jax.lax.map(lambda b: cross_entropy(model.forward(params, b[0]), b[1]), (xs, ys)))

    def raw(points, xs, ys):
        return jax.lax.map(lambda p: at_point(p, xs, ys), points)

    def planar(origin, d1, d2, coords, xs, ys):
        return jax.lax.map(lambda c: at_point(origin + c[0] * d1 + c[1] * d2, xs, ys), coords)

    return jax.jit(raw), jax.jit(planar)


def _chunked(images, labels):
    n = len(images)
    chunk = next(c for c in (IMAGE_CHUNK, 100, 50, 40, 25, 20, 10, 8, 5, 4, 2, 1) if n % c == 0)
    xs = jnp.asarray(images).reshape(n // chunk, chunk, *images.shape[1:])
    return xs, jnp.asarray(labels).reshape(n // chunk, chunk)


def _in_blocks(call, items: np.ndarray, progress: Callable[[int], None] | None) -> np.ndarray:
    """``call(block)`` over ``items`` BLOCK at a time (the last block padded), the values concatenated."""
    out = []
    for start in range(0, len(items), BLOCK):
        block = items[start : start + BLOCK]
        padded = np.concatenate([block, np.repeat(block[-1:], BLOCK - len(block), axis=0)])
        out.append(np.asarray(call(jnp.asarray(padded)))[: len(block)])
        if progress is not None:
            progress(start + len(block))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def point_losses(
    model_name: str, points: np.ndarray, images, labels, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """The loss over the images at each flat parameter vector of ``points`` [n, P];
    ``progress(points done)`` after each block."""
    raw, _ = _block_loss_fns(model_name)
    xs, ys = _chunked(images, labels)
    return _in_blocks(lambda block: raw(block, xs, ys), np.asarray(points, np.float32), progress)


def plane_losses(
    model_name: str, plane: Plane, coords: np.ndarray, images, labels, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """The loss at origin + a d1 + b d2 for each (a, b) of ``coords`` [n, 2]."""
    _, planar = _block_loss_fns(model_name)
    xs, ys = _chunked(images, labels)
    origin, d1, d2 = (jnp.asarray(v, jnp.float32) for v in (plane.origin, plane.d1, plane.d2))
    return _in_blocks(lambda block: planar(origin, d1, d2, block, xs, ys), np.asarray(coords, np.float32), progress)


def slice_losses(
    model_name: str,
    plane: Plane,
    alphas: np.ndarray,
    betas: np.ndarray,
    images,
    labels,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The loss [len(betas), len(alphas)] at origin + a d1 + b d2 over the fixed batch.

    ``progress(points done, points)`` is called after each block of points.
    """
    if max(len(alphas), len(betas)) > MAX_LANDSCAPE_GRID:
        raise SpecError(f"grid: at most {MAX_LANDSCAPE_GRID} (got {max(len(alphas), len(betas))})")
    a, b = np.meshgrid(np.asarray(alphas, np.float32), np.asarray(betas, np.float32))  # rows: beta
    done = (lambda k: progress(k, a.size)) if progress is not None else None
    return plane_losses(model_name, plane, np.stack([a.ravel(), b.ravel()], 1), images, labels, done).reshape(
        len(betas), len(alphas)
    )


def true_losses(model_name: str, points: np.ndarray, images, labels) -> np.ndarray:
    """The loss at each recorded point [n, P] (off the plane, where the path really was)."""
    return point_losses(model_name, points, images, labels)


def plane_point_losses(model_name: str, plane: Plane, coords: np.ndarray, images, labels) -> np.ndarray:
    """The slice's loss at each projected point (a, b)."""
    return plane_losses(model_name, plane, coords, images, labels)


def grid_axes(
    coords: list[np.ndarray], n: int, margin: float = 0.25, at_least: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """alpha and beta values covering every projected path (and +-at_least around 0), with a margin."""
    allc = np.concatenate(coords)
    lo, hi = np.minimum(allc.min(axis=0), -at_least), np.maximum(allc.max(axis=0), at_least)
    pad = margin * np.maximum(hi - lo, 1e-3)
    return np.linspace(lo[0] - pad[0], hi[0] + pad[0], n), np.linspace(lo[1] - pad[1], hi[1] + pad[1], n)


def estimated_seconds(model_name: str, grid: int, path_points: int, images: int) -> float:
    """About how long :func:`landscape` takes here, before it starts: the slice's ``grid`` x
    ``grid`` losses and two per path point (its true loss and the slice's under it), each over
    ``images`` images at the model's loss rate, plus one compile (optviz.core.engine.cost)."""
    return COMPILE_SECONDS + (grid * grid + 2 * path_points) * images / MODELS[model_name].loss_rate


def landscape(
    model_name: str,
    runs,
    directions: str,
    grid: int,
    images,
    labels,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The slice, the projected paths and their losses, in the CLI's JSON shape (NumPy arrays).

    ``progress(losses done, losses)`` reports the evaluation: the grid's points, then every
    path point's true loss and the slice's loss under it.
    """
    if directions not in ("pca", "random"):
        raise SpecError(f"directions: choose pca or random (got {directions!r})")
    if not MIN_LANDSCAPE_GRID <= grid <= MAX_LANDSCAPE_GRID:
        raise SpecError(f"grid: must be a whole number from {MIN_LANDSCAPE_GRID} to {MAX_LANDSCAPE_GRID} (got {grid})")
    paths = [np.stack(r.snapshots) for r in runs]
    plane = pca_plane(paths) if directions == "pca" else random_plane(model_name, paths[0][-1], seed)
    coords = [plane.project(p) for p in paths]
    # Random filter-normalised directions are read over +-1 (Li et al.), whatever the paths' extent.
    alphas, betas = grid_axes(coords, grid, at_least=0.0 if directions == "pca" else 1.0)
    total = grid * grid + 2 * sum(len(p) for p in paths)
    report = (lambda offset: lambda k, *_: progress(offset + k, total)) if progress else (lambda offset: None)
    loss = slice_losses(model_name, plane, alphas, betas, images, labels, report(0))
    # Every path's points, then their shadows on the plane.
    n_points = sum(len(p) for p in paths)
    true = point_losses(model_name, np.concatenate(paths), images, labels, report(grid * grid))
    under = plane_losses(model_name, plane, np.concatenate(coords), images, labels, report(grid * grid + n_points))
    bounds = np.cumsum([0] + [len(p) for p in paths])
    parts = [v[a:b] for v in (true, under) for a, b in itertools.pairwise(bounds)]
    out = {
        "directions": directions,
        "alpha": alphas,
        "beta": betas,
        "loss": loss,
        "paths": [
            {"optimizer": r.optimizer, "coords": c, "loss": parts[i], "slice_loss": parts[len(runs) + i]}
            for i, (r, c) in enumerate(zip(runs, coords))
        ],
    }
    if plane.explained_variance is not None:
        out["explained_variance"] = list(plane.explained_variance)
    return out

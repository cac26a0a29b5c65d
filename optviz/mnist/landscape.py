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
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ..limits import MAX_LANDSCAPE_GRID, MIN_LANDSCAPE_GRID
from ..spec import SpecError
from .models import MODELS
from .train import cross_entropy


@dataclass
class Plane:
    """A 2D slice: origin + a * d1 + b * d2 (flat parameter vectors)."""

    origin: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    explained_variance: tuple[float, float] | None = None

    def project(self, points: np.ndarray) -> np.ndarray:
        """Least-squares (a, b) of each point [n, P] in this plane's coordinates."""
        basis = np.stack([self.d1, self.d2], axis=1).astype(np.float64)  # [P, 2]
        coords, *_ = np.linalg.lstsq(basis, (points - self.origin).T.astype(np.float64), rcond=None)
        return coords.T


def pca_plane(paths: list[np.ndarray]) -> Plane:
    """The top two principal directions of all recorded points [n_i, P], about the mean of the final points."""
    origin = np.mean([p[-1] for p in paths], axis=0)
    points = np.concatenate(paths).astype(np.float64) - origin
    _, s, vt = np.linalg.svd(points, full_matrices=False)
    total = float((s**2).sum()) or 1.0
    return Plane(origin.astype(np.float32), vt[0].astype(np.float32), vt[1].astype(np.float32),
                 (float(s[0] ** 2 / total), float(s[1] ** 2 / total)))


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


@functools.lru_cache(maxsize=8)
def _grid_loss_fn(model_name: str):
    model = MODELS[model_name]
    _, unravel = ravel_pytree(model.init(jax.random.PRNGKey(0)))

    def loss_at(flat, images, labels):
        return cross_entropy(model.apply(unravel(flat), images), labels)

    def chunked_loss(flat, images, labels):
        # Images in chunks: one chunk's activations stay in cache (all 1,000 of the CNN's at once
        # are 86 MB, and the same point then took 2.6 times as long on this CPU).
        n = images.shape[0]
        chunk = next(c for c in (50, 40, 25, 20, 10, 8, 5, 4, 2, 1) if n % c == 0)
        xs, ys = images.reshape(n // chunk, chunk, *images.shape[1:]), labels.reshape(n // chunk, chunk)
        return jnp.mean(jax.lax.map(lambda b: loss_at(flat, b[0], b[1]), (xs, ys)))

    def row(origin, d1, d2, alphas, beta, images, labels):
        points = origin + alphas[:, None] * d1 + beta * d2
        return jax.lax.map(lambda p: chunked_loss(p, images, labels), points)

    return jax.jit(row), jax.jit(jax.vmap(loss_at, in_axes=(0, None, None)))


def slice_losses(model_name: str, plane: Plane, alphas: np.ndarray, betas: np.ndarray, images, labels,
                 progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The loss [len(betas), len(alphas)] at origin + a d1 + b d2 over the fixed batch.

    One jitted call per row of the grid; ``progress(rows done, rows)`` is called after each.
    """
    if max(len(alphas), len(betas)) > MAX_LANDSCAPE_GRID:
        raise SpecError(f"grid: at most {MAX_LANDSCAPE_GRID} (got {max(len(alphas), len(betas))})")
    row, _ = _grid_loss_fn(model_name)
    a = jnp.asarray(alphas, jnp.float32)
    out = []
    for i, beta in enumerate(betas):
        out.append(np.asarray(row(plane.origin, plane.d1, plane.d2, a, np.float32(beta), images, labels)))
        if progress is not None:
            progress(i + 1, len(betas))
    return np.stack(out)


def true_losses(model_name: str, points: np.ndarray, images, labels) -> np.ndarray:
    """The loss at each recorded point [n, P] (off the plane, where the path really was)."""
    _, batch = _grid_loss_fn(model_name)
    return np.asarray(batch(jnp.asarray(points), images, labels))


def plane_point_losses(model_name: str, plane: Plane, coords: np.ndarray, images, labels) -> np.ndarray:
    """The slice's loss at each projected point (a, b)."""
    points = plane.origin + coords[:, :1] * plane.d1 + coords[:, 1:] * plane.d2
    return true_losses(model_name, points.astype(np.float32), images, labels)


def grid_axes(coords: list[np.ndarray], n: int, margin: float = 0.25,
              at_least: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """alpha and beta values covering every projected path (and +-at_least around 0), with a margin."""
    allc = np.concatenate(coords)
    lo, hi = np.minimum(allc.min(axis=0), -at_least), np.maximum(allc.max(axis=0), at_least)
    pad = margin * np.maximum(hi - lo, 1e-3)
    return np.linspace(lo[0] - pad[0], hi[0] + pad[0], n), np.linspace(lo[1] - pad[1], hi[1] + pad[1], n)


def landscape(model_name: str, runs, directions: str, grid: int, images, labels, seed: int = 0,
              progress: Callable[[int, int], None] | None = None) -> dict:
    """The slice, the projected paths and their losses, in the CLI's JSON shape (NumPy arrays).

    ``progress(rows done, rows)`` reports the slice's evaluation, row by row.
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
    loss = slice_losses(model_name, plane, alphas, betas, images, labels, progress)
    out = {"directions": directions, "alpha": alphas, "beta": betas, "loss": loss,
           "paths": [{"optimizer": r.optimizer, "coords": c, "loss": true_losses(model_name, p, images, labels),
                      "slice_loss": plane_point_losses(model_name, plane, c, images, labels)}
                     for r, c, p in zip(runs, coords, paths)]}
    if plane.explained_variance is not None:
        out["explained_variance"] = list(plane.explained_variance)
    return out

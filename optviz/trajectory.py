"""Jitted descent paths: ``lax.scan`` over steps, ``vmap`` over runs of one optimizer.

Hyperparameters, start points, the noise level and the seed are traced arguments, so a new
value never recompiles. The compiled program depends only on (optimizer, surface, step
bucket): step counts are rounded up to a few fixed lengths and the extra steps discarded,
so dragging a steps slider compiles a handful of programs, not one per value.

Divergence: once a step's point or loss is non-finite the run freezes (its state stops
changing), and only the finite points before it are reported, with that step's number.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .limits import MAX_STEPS
from .optimizers import REGISTRY
from .spec import OptSpec
from .surfaces import Surface

STEP_BUCKETS = (100, 250, 500, 1000, 2000, MAX_STEPS)

# Incremented each time a runner is traced (that is, compiled); tests count recompiles with it.
TRACE_COUNT = 0


def step_bucket(steps: int) -> int:
    """The compiled scan length used for ``steps`` steps."""
    for bucket in STEP_BUCKETS:
        if steps <= bucket:
            return bucket
    raise ValueError(f"steps must be at most {MAX_STEPS}")


def step_noise(seed, t):
    """The standard-normal gradient noise [2] of step ``t`` (0-based) under ``seed``."""
    return jax.random.normal(jax.random.fold_in(jax.random.PRNGKey(seed), t), (2,))


def surface_grad(surface: Surface, point):
    """grad f at ``point`` [2, ...]: the partials in x and y, stacked on axis 0.

    Differentiating x and y apart (rather than f(p[0], p[1]) in p) gives XLA no pad ops, and
    the single runs and the sweeps use this one formulation, so they do the same arithmetic.
    """
    gx, gy = jax.grad(lambda x, y: jnp.sum(surface.fn(x, y)), argnums=(0, 1))(point[0], point[1])
    return jnp.stack([gx, gy])


def noisy_grad(surface: Surface, point, sigma, seed, t):
    """The gradient at ``point`` plus N(0, sigma^2) noise drawn from (seed, step t)."""
    return surface_grad(surface, point) + sigma * step_noise(seed, t)


def _single_run(opt_name: str, surface: Surface, length: int, start, hp, sigma, seed):
    """Scan one run of ``length`` steps; returns per-step points, losses, finiteness, inspection,
    and the loss at the start."""
    opt = REGISTRY[opt_name]

    def step(carry, t):
        point, state, alive = carry
        grad = noisy_grad(surface, point, sigma, seed, t)
        new_point, new_state = opt.update(grad, state, point, hp)
        loss = surface.loss(new_point)
        ok = alive & jnp.all(jnp.isfinite(new_point)) & jnp.isfinite(loss)
        point = jnp.where(ok, new_point, point)
        state = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_state, state)
        return (point, state, ok), (new_point, loss, ok, opt.inspect(new_state, hp))

    start = jnp.asarray(start, jnp.float32)
    loss0 = surface.loss(start)
    alive0 = jnp.all(jnp.isfinite(start)) & jnp.isfinite(loss0)
    init = (start, opt.init(start), alive0)
    _, (points, losses, ok, info) = jax.lax.scan(step, init, jnp.arange(length, dtype=jnp.int32))
    return points, losses, ok, info, loss0


@functools.lru_cache(maxsize=256)
def compiled_runner(opt_name: str, surface: Surface, length: int):
    """The jitted, vmapped runner for one optimizer on one surface; cached per step bucket.

    Call it as ``runner(starts[B, 2], {hp: [B]}, sigma, seed)``.
    """

    def batch(starts, hps, sigma, seed):
        global TRACE_COUNT
        TRACE_COUNT += 1
        run = functools.partial(_single_run, opt_name, surface, length)
        return jax.vmap(run, in_axes=(0, 0, None, None))(starts, hps, sigma, seed)

    return jax.jit(batch)


@dataclass
class Run:
    """One finished run: its path (start first), losses, divergence step and internal state."""

    optimizer: str
    hparams: dict[str, float]
    path: np.ndarray  # (k + 1, 2) float32, only finite points
    loss: np.ndarray  # (k + 1,)
    diverged_at: int | None
    state: dict[str, np.ndarray] = field(default_factory=dict)  # per step 1..k
    switched_at: int | None = None

    def to_json(self) -> dict:
        """The run in the CLI's JSON shape."""
        return {
            "optimizer": self.optimizer,
            "hparams": self.hparams,
            "path": self.path.astype(float).tolist(),
            "loss": self.loss.astype(float).tolist(),
            "diverged_at": self.diverged_at,
            "switched_at": self.switched_at,
        }


def simulate(opt_name: str, surface: Surface, starts, hparams: Mapping[str, Sequence[float]],
             steps: int, noise: float = 0.0, seed: int = 0):
    """Run a batch of one optimizer from ``starts`` [B, 2] with per-run ``hparams`` {name: [B]}.

    Returns NumPy arrays trimmed to ``steps``: points [B, steps, 2], losses [B, steps],
    ok [B, steps] (False from the first non-finite step on), the inspection dict, and the
    loss at each start [B].
    """
    length = step_bucket(steps)
    starts = np.asarray(starts, np.float32)
    hps = {k: np.asarray(v, np.float32) for k, v in hparams.items()}
    runner = compiled_runner(opt_name, surface, length)
    out = jax.device_get(runner(starts, hps, np.float32(noise), np.int32(seed)))
    # Trim on the host: slicing device arrays would dispatch one small XLA op per array.
    points, losses, ok, info = jax.tree.map(lambda a: a[:, :steps], out[:4])
    return points, losses, ok, info, out[4]


def run_race(surface: Surface, start: Sequence[float], steps: int, specs: Sequence[OptSpec],
             noise: float = 0.0, seed: int = 0) -> list[Run]:
    """Run every optimizer spec from the same start; the same optimizer's specs share one call."""
    groups: dict[str, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(spec.name, []).append(i)
    runs: list[Run | None] = [None] * len(specs)
    start_arr = np.asarray(start, np.float32)
    for name, idx in groups.items():
        hps = {k: [specs[i].hparams[k] for i in idx] for k in REGISTRY[name].hparam_names}
        starts = np.broadcast_to(start_arr, (len(idx), 2))
        points, losses, ok, info, loss0 = simulate(name, surface, starts, hps, steps, noise, seed)
        for row, i in enumerate(idx):
            runs[i] = _finish_run(specs[i], start_arr, float(loss0[row]), points[row], losses[row], ok[row],
                                  {k: v[row] for k, v in info.items()})
    return runs  # type: ignore[return-value]


def _finish_run(spec: OptSpec, start, loss0: float, points, losses, ok, info) -> Run:
    if not (np.all(np.isfinite(start)) and np.isfinite(loss0)):
        return Run(spec.name, dict(spec.hparams), np.zeros((0, 2), np.float32),
                   np.zeros(0, np.float32), 0, {})
    n_ok = int(np.argmin(ok)) if not ok.all() else len(ok)
    path = np.concatenate([start[None, :], points[:n_ok]]).astype(np.float32)
    loss = np.concatenate([[loss0], losses[:n_ok]]).astype(np.float32)
    state = {k: np.asarray(v[:n_ok]) for k, v in info.items() if k != "switched_at"}
    # Optimizers that change phase (SWATS) report the step of the switch in their state.
    switched = int(info["switched_at"][n_ok - 1]) if "switched_at" in info and n_ok else 0
    return Run(spec.name, dict(spec.hparams), path, loss, None if n_ok == len(ok) else n_ok + 1,
               state, switched or None)

"""The edge of stability on a 2D run: sharpness, preconditioned sharpness and their thresholds.

On a quadratic with curvature lam, gradient descent with step eta is stable while
lam < 2/eta. For the optimizers that divide by a diagonal preconditioner P, what must stay below
the threshold is the preconditioned sharpness lam_max(P^-1 H) (Cohen et al. 2022). Each
optimizer's threshold and preconditioner live in its registry entry (``threshold``,
``preconditioner``); those without either have no such curve here.

For update t (1-based) the Hessian is taken at the point it starts from, theta_{t-1}, and P
is the one the update divides by (from the state after it).
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from optviz.core.engine import compiled
from optviz.core.engine.trajectory import CATALOGUE, SURFACE_INDEX, Run, in_catalogue
from optviz.core.limits import MAX_STEPS
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import Surface

PRECONDITIONED = tuple(n for n, o in REGISTRY.items() if o.preconditioner is not None)


@functools.lru_cache(maxsize=32)
def _hessian_program(surfaces: tuple[Surface, ...]):
    """Jitted (surface index, points [MAX_STEPS, 2]) -> Hessians [MAX_STEPS, 2, 2]."""

    def of(surface):
        hess = jax.hessian(lambda p: surface.loss(p))
        return lambda points: jax.vmap(hess)(points)

    branches = [of(s) for s in surfaces]
    if len(branches) == 1:
        return jax.jit(lambda s, points: branches[0](points))
    return jax.jit(lambda s, points: jax.lax.switch(s, branches, points))


def ready(surface: Surface) -> bool:
    """Whether the Hessians of ``surface`` come without compiling first (a catalogue surface's,
    once :func:`warm_up` has run)."""
    return in_catalogue(surface) and compiled.ready(_hessian_program(CATALOGUE))


def hessians(surface: Surface, points: np.ndarray) -> np.ndarray:
    """The exact 2x2 Hessian of ``surface`` at each point [n, 2] (n <= MAX_STEPS), float64."""
    if in_catalogue(surface):
        program, index = _hessian_program(CATALOGUE), SURFACE_INDEX[surface.name]
    else:
        program, index = _hessian_program((surface,)), 0
    padded = np.zeros((MAX_STEPS, 2), np.float32)
    padded[: len(points)] = points
    return np.asarray(compiled.call(program, np.int32(index), padded), np.float64)[: len(points)]


def top_eigenvalue(h: np.ndarray, p: np.ndarray | None = None) -> np.ndarray:
    """lam_max of each symmetric 2x2 ``h`` [n, 2, 2], or of P^-1 h for diagonal ``p`` [n, 2] > 0.

    P^-1 H is similar to the symmetric P^-1/2 H P^-1/2, so both come from one closed form.
    """
    a, b, c = h[:, 0, 0], (h[:, 0, 1] + h[:, 1, 0]) / 2, h[:, 1, 1]
    if p is not None:
        a, b, c = a / p[:, 0], b / np.sqrt(p[:, 0] * p[:, 1]), c / p[:, 1]
    return (a + c) / 2 + np.sqrt(((a - c) / 2) ** 2 + b * b)


def diagonal_preconditioner(name: str, hp, t, fields, xp=np):
    """P of optimizer ``name`` after update ``t`` (>= 1) from its state ``fields`` (the recorded
    per-step state of a 2D run, or an optimizer state's fields), with NumPy or ``jax.numpy`` as
    ``xp``; None for the optimizers that have none. The one formula (the registry entry's) both
    the 2D runs and the MNIST measurements use."""
    rule = REGISTRY[name].preconditioner
    return None if rule is None else rule(hp, t, fields, xp)


def preconditioner(run: Run) -> np.ndarray | None:
    """P of every update [k, 2] from the run's recorded state, in float64, or None where it is not defined."""
    t = np.arange(1, len(run.loss), dtype=np.float64)[:, None]
    fields = {k: np.asarray(v, np.float64) for k, v in run.state.items()}
    return diagonal_preconditioner(run.optimizer, run.hparams, t, fields)


def threshold_at(name: str, hp: dict, lr):
    """The stability threshold of optimizer ``name`` at learning rate ``lr`` (a number or an
    array), or None where none is known (the registry entry's ``threshold``)."""
    rule = REGISTRY[name].threshold
    return None if rule is None else rule(hp, lr)


def threshold(run: Run) -> np.ndarray | None:
    """The stability threshold of every update [k] at the lr it used, or None (no threshold known)."""
    return threshold_at(run.optimizer, run.hparams, run.lr.astype(np.float64))


def stability(run: Run, surface: Surface) -> dict[str, np.ndarray]:
    """Per update: "sharpness", and where defined "preconditioned_sharpness" and "threshold"."""
    h = hessians(surface, run.path[:-1]) if len(run.path) > 1 else np.zeros((0, 2, 2))
    out = {"sharpness": top_eigenvalue(h)}
    p = preconditioner(run)
    if p is not None:
        out["preconditioned_sharpness"] = top_eigenvalue(h, p)
    limit = threshold(run)
    if limit is not None:
        out["threshold"] = limit
    return out


def warm_up() -> None:
    """Compile the catalogue's Hessian program (start-up, with the paths' program)."""
    hessians(CATALOGUE[0], np.zeros((1, 2), np.float32))

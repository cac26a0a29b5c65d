"""The edge of stability on a 2D run: sharpness, preconditioned sharpness and their thresholds.

On a quadratic with curvature lam, gradient descent with step eta is stable while
lam < 2/eta; heavy-ball momentum mu (torch's form) while lam < (2 + 2 mu)/eta, and torch's
Nesterov form while lam < (2 + 2 mu)/((1 + 2 mu) eta). For the optimizers that divide by a
diagonal preconditioner P, the update is eta P^-1 m_t, and what must stay below the threshold
is the preconditioned sharpness lam_max(P^-1 H) (Cohen et al. 2022): (2 + 2 b1)/((1 - b1) eta)
for an exponential average m_t with b1 (38/eta at b1 = 0.9), 2/eta for RMSprop and Adagrad,
whose m_t is the gradient itself.

For update t (1-based) the Hessian is taken at the point it starts from, theta_{t-1}, and P
is the one the update divides by (from the state after it): for Adam and AdamW
P = (1 - b1^t)(sqrt(v_t/(1 - b2^t)) + eps), AMSGrad the same with v_max, Adamax
(1 - b1^t) u_t, RMSprop sqrt(v_t) + eps, Adagrad sqrt(sum_t) + eps. NAdam, Lion and SWATS
have no such threshold here.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from optviz.core.limits import MAX_STEPS
from optviz.core.problems.surfaces import Surface
from optviz.core.engine.trajectory import CATALOGUE, SURFACE_INDEX, Run

PRECONDITIONED = ("adam", "adamw", "amsgrad", "adamax", "rmsprop", "adagrad")


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


def hessians(surface: Surface, points: np.ndarray) -> np.ndarray:
    """The exact 2x2 Hessian of ``surface`` at each point [n, 2] (n <= MAX_STEPS), float64."""
    known = SURFACE_INDEX.get(surface.name)
    if known is not None and CATALOGUE[known] is surface:
        program, index = _hessian_program(CATALOGUE), known
    else:
        program, index = _hessian_program((surface,)), 0
    padded = np.zeros((MAX_STEPS, 2), np.float32)
    padded[:len(points)] = points
    return np.asarray(program(np.int32(index), padded), np.float64)[:len(points)]


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
    ``xp``; None for the optimizers that have none. The one formula both the 2D runs and the
    MNIST measurements use."""
    if name not in PRECONDITIONED:
        return None
    if name in ("rmsprop", "adagrad"):
        return xp.sqrt(fields["square_avg" if name == "rmsprop" else "sum_sq"]) + hp["eps"]
    bc1 = -xp.expm1(t * xp.log1p(hp["b1"] - 1.0))  # 1 - b1^t, precise for b near 1
    bc2 = -xp.expm1(t * xp.log1p(hp["b2"] - 1.0))
    if name in ("adam", "adamw"):
        on = hp.get("bias_correction", 1.0) > 0.5
        bc1, bc2 = xp.where(on, bc1, 1.0), xp.where(on, bc2, 1.0)
        return bc1 * (xp.sqrt(fields["v"] / bc2) + hp["eps"])
    if name == "amsgrad":
        return bc1 * (xp.sqrt(fields["v_max"] / bc2) + hp["eps"])
    return bc1 * fields["u"]  # adamax


def preconditioner(run: Run) -> np.ndarray | None:
    """P of every update [k, 2] from the run's recorded state, in float64, or None where it is not defined."""
    t = np.arange(1, len(run.loss), dtype=np.float64)[:, None]
    fields = {k: np.asarray(v, np.float64) for k, v in run.state.items()}
    return diagonal_preconditioner(run.optimizer, run.hparams, t, fields)


def threshold_at(name: str, hp: dict, lr):
    """The stability threshold of optimizer ``name`` at learning rate ``lr`` (a number or an
    array), or None where none is known. For the optimizers with a preconditioner it bounds the
    preconditioned sharpness; for SGD and its momentum forms, the sharpness itself."""
    if name in ("sgd", "rmsprop", "adagrad"):
        return 2.0 / lr
    if name == "momentum":
        return (2.0 + 2.0 * hp["momentum"]) / lr
    if name == "nesterov":
        return (2.0 + 2.0 * hp["momentum"]) / ((1.0 + 2.0 * hp["momentum"]) * lr)
    if name in ("adam", "adamw", "amsgrad", "adamax"):
        return (2.0 + 2.0 * hp["b1"]) / ((1.0 - hp["b1"]) * lr)
    return None


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

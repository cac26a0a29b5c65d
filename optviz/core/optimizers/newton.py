"""Second-order reference for the 2D surfaces: damped Newton with a trust-region safeguard.

It needs the exact Hessian, which the 2D loops supply (``hp["hessian"]``, 2x2 per run); it is
not offered on MNIST, where the Hessian has ~10^10 entries.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import Array, HParam, Hparams, OptimizerDef, lr


class NewtonState(NamedTuple):
    """The step count and the eigenvalues the last step used (after the safeguard)."""

    updates: Array
    curvature: Array


def newton_init(params: Array) -> NewtonState:
    """No memory: every step starts from the Hessian where it stands."""
    return NewtonState(jnp.zeros([], jnp.int32), jnp.zeros_like(params))


def _newton_step(grad: Array, hess: Array, hp: Hparams) -> tuple[Array, Array]:
    """-lr V diag(1/max(|lambda|, damping)) V^T g, then shortened to at most max_step.

    ``grad`` is [2, ...] and ``hess`` [2, 2, ...]: one run, or many side by side (sweeps).
    With a positive definite H whose eigenvalues exceed the damping this is exactly -lr H^-1 g;
    negative curvature is turned around (a saddle repels instead of attracting).
    """
    h = jnp.moveaxis(hess, (0, 1), (-2, -1))  # [..., 2, 2]
    g = jnp.moveaxis(grad, 0, -1)[..., None]  # [..., 2, 1]
    lam, vec = jnp.linalg.eigh((h + jnp.swapaxes(h, -1, -2)) / 2)
    scale = 1.0 / jnp.maximum(jnp.abs(lam), hp["damping"])
    step = -hp["lr"] * (vec @ (scale[..., None] * (jnp.swapaxes(vec, -1, -2) @ g)))[..., 0]
    norm = jnp.sqrt(jnp.sum(step * step, axis=-1, keepdims=True))
    step = step * jnp.minimum(1.0, hp["max_step"] / jnp.maximum(norm, 1e-30))
    return jnp.moveaxis(step, -1, 0), jnp.moveaxis(jnp.maximum(jnp.abs(lam), hp["damping"]), -1, 0)


def newton_update(grad: Array, state: NewtonState, params: Array, hp: Hparams):
    """x_t = x_{t-1} - lr |H|_d^-1 g, |H|_d = V diag(max(|lambda_i|, damping)) V^T, the step at most max_step long."""
    step, curvature = _newton_step(grad, hp["hessian"], hp)
    return params + step, NewtonState(state.updates + 1, curvature)


def newton_inspect(state: NewtonState, hp: Hparams) -> dict[str, Array]:
    """The curvatures the last step divided by (eigenvalues of H, made positive and damped)."""
    return {"curvature": state.curvature}


NEWTON = OptimizerDef(
    name="newton",
    display_name="Newton",
    family="curvature",
    lineage="steps by the inverse Hessian: one step on a quadratic (2D surfaces only)",
    description=(
        "Newton's method steps to the minimum of the local quadratic model: x - H^-1 g, one step "
        "on a quadratic bowl. Damped and safeguarded here: eigenvalues below the damping are "
        "raised to it, negative ones are turned positive (a saddle repels it), and a step is at "
        "most max_step long (a trust region). The yardstick of 'fast' on Rosenbrock. 2D only."
    ),
    update_rule=(
        r"H = V \Lambda V^\top,\quad |H|_\delta = V\, \max(|\Lambda|, \delta)\, V^\top \\ "
        r"x_t = x_{t-1} - \eta\, |H|_\delta^{-1} g_t \quad (\lVert\cdot\rVert \le \Delta_{\max})"
    ),
    hparams=(
        lr(1.0, slider=(1e-3, 1.0)),
        HParam(
            "damping",
            1e-3,
            0.0,
            1e3,
            low_open=True,
            slider=(1e-6, 10.0),
            log=True,
            symbol=r"\delta",
            help="smallest curvature divided by: larger is more cautious, like gradient descent",
        ),
        HParam(
            "max_step",
            1.0,
            0.0,
            1e4,
            low_open=True,
            slider=(1e-3, 10.0),
            log=True,
            symbol=r"\Delta_{\max}",
            help="trust region: the longest step allowed",
        ),
    ),
    init=newton_init,
    update=newton_update,
    inspect=newton_inspect,
    reference="damped Newton (Nocedal & Wright ch. 3-4)",
    semantics=(
        "the exact Hessian with its eigenvalues made positive and at least damping, the step at most max_step"
        " long; 2D surfaces only"
    ),
    needs_hessian=True,
    network_note="it needs the exact Hessian, which a network's is too large for",
    elementwise=False,  # H^-1 g mixes a run's coordinates
    state_labels={
        "curvature": (r"\tilde\lambda(H)", "curvatures divided by (damped eigenvalues)"),
    },
)

"""Sophia (Liu et al. 2023), as optax.contrib.sophia computes it (optax 0.2.x defaults).

A clipped, diagonally preconditioned momentum: the momentum divided by a running average of
the Hessian's diagonal, each coordinate's step clipped to [-rho, rho]. The diagonal comes
from the loop (``hp["hessian_diag"]``): exact on the 2D surfaces, Hutchinson's estimate
u * (H u) with a Rademacher u on a network (optax's default estimator). It enters the
average only every ``update_interval`` steps, after the step it follows has been taken.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import (
    Array,
    HParam,
    Hparams,
    OptimizerDef,
    beta,
    eps,
    lr,
    one_minus_power,
    weight_decay,
    with_decay,
)


class SophiaState(NamedTuple):
    """The step count, the momentum m, the Hessian-diagonal average h, and which coordinates the
    last step clipped (1.0) or not (0.0)."""

    updates: Array
    m: Array
    h: Array
    clipped: Array


def sophia_init(params: Array) -> SophiaState:
    """Zero momentum and curvature: the first step is a clipped sign step."""
    zeros = jnp.zeros_like(params)
    return SophiaState(jnp.zeros([], jnp.int32), zeros, zeros, zeros)


def hessian_due(count: Array, hp: Hparams) -> Array:
    """Whether the update after ``count`` earlier ones refreshes h (count % update_interval == 0)."""
    return jnp.mod(count, jnp.round(hp["update_interval"])) == 0


def sophia_update(grad: Array, state: SophiaState, params: Array, hp: Hparams):
    """m_t = b1 m + (1-b1) g;  u = (m_t / (1-b1^t)) / max(gamma h_{t-1}, eps), clipped to [-rho, rho];
    every k-th update h_t = b2 h + (1-b2) hhat (the Hessian diagonal at x_{t-1});
    x_t = x_{t-1} - lr (u + weight_decay x_{t-1})."""
    count = state.updates + 1
    m = (1.0 - hp["b1"]) * grad + hp["b1"] * state.m  # optax's update_moment
    m_hat = m / one_minus_power(hp["b1"], count.astype(jnp.float32))
    u = m_hat / jnp.maximum(hp["gamma"] * state.h, hp["eps"])
    rho = hp["clip_threshold"]
    clipped = (jnp.abs(u) >= rho).astype(params.dtype)
    u = jnp.clip(u, -rho, rho)
    fresh = (1.0 - hp["b2"]) * hp["hessian_diag"] + hp["b2"] * state.h
    h = jnp.where(hessian_due(state.updates, hp), fresh, state.h)
    new = params - hp["lr"] * with_decay(u, params, hp)
    return new, SophiaState(count, m, h, clipped)


def sophia_inspect(state: SophiaState, hp: Hparams) -> dict[str, Array]:
    """m, the curvature average h, and the fraction of coordinates the last step clipped."""
    return {"m": state.m, "h": state.h, "clip_fraction": jnp.mean(state.clipped)}


SOPHIA = OptimizerDef(
    name="sophia",
    display_name="Sophia",
    family="curvature",
    lineage="momentum over a running Hessian diagonal, each coordinate's step clipped",
    description=(
        "Sophia (Liu et al., 2023) divides momentum by a running average of the Hessian's diagonal, "
        "refreshed every k steps, and clips each coordinate's step to rho: Newton-like steps where "
        "the curvature is positive and trustworthy, sign-like steps (of size lr rho) where it is "
        "small, negative or stale. The clip fraction says which regime it is in. Here the diagonal "
        "is exact on the 2D surfaces and Hutchinson's estimate on MNIST."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ "
        r"u_t = \mathrm{clip}\!\left(\frac{\hat m_t}{\max(\gamma h_{t-1}, \epsilon)}, -\rho, \rho\right),\quad "
        r"h_t = \beta_2 h_{t-k} + (1-\beta_2)\,\widehat{\mathrm{diag}\, H} \text{ every } k \text{ steps} \\ "
        r"x_t = x_{t-1} - \eta\,(u_t + \lambda x_{t-1})"
    ),
    hparams=(
        lr(0.01, slider=(1e-4, 1.0)),
        beta("b1", 0.965, r"\beta_1", "decay rate of the momentum"),
        beta("b2", 0.99, r"\beta_2", "decay rate of the Hessian-diagonal average (per refresh)"),
        eps(1e-8),
        weight_decay(1e-4, help="decoupled weight decay (optax's default 1e-4)"),
        HParam(
            "gamma",
            0.01,
            0.0,
            100.0,
            low_open=True,
            slider=(1e-4, 10.0),
            log=True,
            symbol=r"\gamma",
            help="scales the curvature: smaller gamma, larger (and more often clipped) steps",
        ),
        HParam(
            "clip_threshold",
            1.0,
            0.0,
            100.0,
            low_open=True,
            slider=(1e-3, 10.0),
            log=True,
            symbol=r"\rho",
            help="the largest step per coordinate, in units of lr",
        ),
        HParam(
            "update_interval",
            10.0,
            1.0,
            1000.0,
            kind="int",
            slider=(1.0, 100.0),
            symbol="k",
            help="steps between Hessian-diagonal refreshes",
        ),
    ),
    init=sophia_init,
    update=sophia_update,
    inspect=sophia_inspect,
    reference="optax.contrib.sophia",
    semantics=(
        "the exact Hessian diagonal on the 2D surfaces, Hutchinson's u·(Hu) (Rademacher u, optax's estimator)"
        " on MNIST, computed only on refresh steps"
    ),
    hessian_diag_due=hessian_due,
    state_labels={
        "h": ("h_t", "h: Hessian-diagonal estimate"),
        "clip_fraction": (r"\text{clipped}", "fraction of coordinates clipped"),
    },
)

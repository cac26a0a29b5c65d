"""Lion: sign-based momentum found by program search (Chen et al., 2023)."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import Array, Hparams, OptimizerDef, beta, decayed, lr, weight_decay


class LionState(NamedTuple):
    """The momentum m (an EMA of gradients with rate b2)."""

    updates: Array
    m: Array


def lion_init(params: Array) -> LionState:
    """Initial Lion state."""
    return LionState(jnp.zeros([], jnp.int32), jnp.zeros_like(params))


def lion_update(grad: Array, state: LionState, params: Array, hp: Hparams):
    """c_t = b1 m_{t-1} + (1-b1) g_t;  x_t = x_{t-1} - lr (sign(c_t) + wd x_{t-1});
    m_t = b2 m_{t-1} + (1-b2) g_t  (Algorithm 2 of Chen et al.; sign(0) = 0)."""
    c = hp["b1"] * state.m + (1.0 - hp["b1"]) * grad
    new = decayed(params, hp) - hp["lr"] * jnp.sign(c)
    m = hp["b2"] * state.m + (1.0 - hp["b2"]) * grad
    return new, LionState(state.updates + 1, m)


def lion_inspect(state: LionState, hp: Hparams) -> dict[str, Array]:
    """The momentum m."""
    return {"m": state.m}


LION = OptimizerDef(
    name="lion",
    display_name="Lion",
    family="sign",
    lineage="sign of an interpolated momentum (found by program search)",
    description=(
        'Lion (EvoLved Sign Momentum; Chen et al., 2023, "Symbolic Discovery of Optimization '
        'Algorithms") was found by a program search. Every coordinate moves by exactly lr, in '
        "the direction of the sign of an interpolation between the momentum and the gradient, "
        "so it needs a learning rate several times smaller than Adam's and keeps only one "
        "moment."
    ),
    update_rule=(
        r"c_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ "
        r"x_t = x_{t-1} - \eta\,\left(\operatorname{sign}(c_t) + \lambda\, x_{t-1}\right) \\ "
        r"m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t"
    ),
    hparams=(
        lr(1e-4, slider=(1e-6, 1.0)),
        beta("b1", 0.9, r"\beta_1", "interpolation between momentum and gradient for the step"),
        beta("b2", 0.99, r"\beta_2", "decay rate of the momentum"),
        weight_decay(0.0),
    ),
    init=lion_init,
    update=lion_update,
    inspect=lion_inspect,
    reference="Chen et al. 2023, Algorithm 2",
)

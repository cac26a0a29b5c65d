"""Sign methods: Lion, sign-based momentum found by program search (Chen et al., 2023), and
Signum, the sign of an averaged gradient (Bernstein et al., 2018; optax.signum)."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import (
    CAUTIOUS_LABELS,
    CAUTIOUS_RULE,
    Array,
    Hparams,
    OptimizerDef,
    beta,
    cautious_flag,
    cautious_info,
    cautious_mask,
    decayed,
    lr,
    weight_decay,
)


class LionState(NamedTuple):
    """The momentum m (an EMA of gradients with rate b2), and the cautious mask of the last update."""

    updates: Array
    m: Array
    kept: Array


def lion_init(params: Array) -> LionState:
    """Initial Lion state."""
    return LionState(jnp.zeros([], jnp.int32), jnp.zeros_like(params), jnp.ones_like(params))


def lion_update(grad: Array, state: LionState, params: Array, hp: Hparams):
    """c_t = b1 m_{t-1} + (1-b1) g_t;  x_t = x_{t-1} - lr (sign(c_t) + wd x_{t-1});
    m_t = b2 m_{t-1} + (1-b2) g_t  (Algorithm 2 of Chen et al.; sign(0) = 0). With cautious=1
    (C-Lion) the sign step is taken times the cautious mask of sign(c_t) against g_t."""
    c = hp["b1"] * state.m + (1.0 - hp["b1"]) * grad
    update = jnp.sign(c)
    kept = cautious_mask(update, grad, hp)
    new = decayed(params, hp) - hp["lr"] * (update * kept)
    m = hp["b2"] * state.m + (1.0 - hp["b2"]) * grad
    return new, LionState(state.updates + 1, m, kept)


def lion_inspect(state: LionState, hp: Hparams) -> dict[str, Array]:
    """The momentum m, and with cautious=1 the mask of the last update."""
    return {"m": state.m, **cautious_info(state.kept)}


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
        r"m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t" + r" \\ " + CAUTIOUS_RULE
    ),
    hparams=(
        lr(1e-4, slider=(1e-6, 1.0)),
        beta("b1", 0.9, r"\beta_1", "interpolation between momentum and gradient for the step"),
        beta("b2", 0.99, r"\beta_2", "decay rate of the momentum"),
        weight_decay(0.0),
        cautious_flag(),
    ),
    init=lion_init,
    update=lion_update,
    inspect=lion_inspect,
    reference="Chen et al. 2023, Algorithm 2",
    semantics=(
        "cautious=1 is C-Lion with C-AdamW's rescaling, 1/max(mean φ, 1e-3) (C-Optim's c_lion.py "
        "divides by (count kept + 1)/size, which would shrink an all-agreeing step on a surface by 2/3)"
    ),
    state_labels=CAUTIOUS_LABELS,
)


# --- Signum (Bernstein et al. 2018; optax.signum) -----------------------------------------


class SignumState(NamedTuple):
    """The momentum m, an average of gradients (not bias-corrected: only its sign is used)."""

    updates: Array
    m: Array


def signum_init(params: Array) -> SignumState:
    """Zero momentum."""
    return SignumState(jnp.zeros([], jnp.int32), jnp.zeros_like(params))


def signum_update(grad: Array, state: SignumState, params: Array, hp: Hparams):
    """m_t = beta m_{t-1} + (1-beta) g_t;  x_t = x_{t-1} - lr sign(m_t)."""
    m = hp["beta"] * state.m + (1.0 - hp["beta"]) * grad
    return params - hp["lr"] * jnp.sign(m), SignumState(state.updates + 1, m)


def signum_inspect(state: SignumState, hp: Hparams) -> dict[str, Array]:
    """The momentum, whose sign is the step."""
    return {"m": state.m}


SIGNUM = OptimizerDef(
    name="signum",
    display_name="Signum",
    family="sign",
    lineage="sign of the momentum: signSGD with memory",
    description=(
        "Signum (Bernstein et al., 2018, signSGD) moves every coordinate by exactly lr in the "
        "direction of its averaged gradient's sign: one bit per coordinate, the size of the "
        "gradient thrown away. With beta = 0 it is signSGD; Lion is a refinement found later by search."
    ),
    update_rule=r"m_t = \beta m_{t-1} + (1-\beta)\, g_t \\ x_t = x_{t-1} - \eta\, \operatorname{sign}(m_t)",
    hparams=(
        lr(0.001, slider=(1e-6, 1.0)),
        beta("beta", 0.9, r"\beta", "decay rate of the momentum"),
    ),
    init=signum_init,
    update=signum_update,
    inspect=signum_inspect,
    reference="optax.signum",
)

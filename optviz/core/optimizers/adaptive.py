"""Per-coordinate step sizes from squared-gradient statistics: Adagrad and RMSprop."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import Array, HParam, Hparams, OptimizerDef, eps, gd_threshold, lr


class AdagradState(NamedTuple):
    """The running sum of squared gradients."""

    updates: Array
    sum_sq: Array


class RmspropState(NamedTuple):
    """The exponential moving average of squared gradients."""

    updates: Array
    square_avg: Array


def adagrad_init(params: Array) -> AdagradState:
    """Initial Adagrad state (torch's initial_accumulator_value=0)."""
    return AdagradState(jnp.zeros([], jnp.int32), jnp.zeros_like(params))


def adagrad_update(grad: Array, state: AdagradState, params: Array, hp: Hparams):
    """s_t = s_{t-1} + g_t^2;  x_t = x_{t-1} - lr * g_t / (sqrt(s_t) + eps)."""
    sum_sq = state.sum_sq + grad * grad
    new = params - hp["lr"] * (grad / (jnp.sqrt(sum_sq) + hp["eps"]))
    return new, AdagradState(state.updates + 1, sum_sq)


def adagrad_inspect(state: AdagradState, hp: Hparams) -> dict[str, Array]:
    """The accumulated squares and the per-coordinate learning rate they leave."""
    return {"sum_sq": state.sum_sq, "effective_lr": hp["lr"] / (jnp.sqrt(state.sum_sq) + hp["eps"])}


def rmsprop_init(params: Array) -> RmspropState:
    """Initial RMSprop state."""
    return RmspropState(jnp.zeros([], jnp.int32), jnp.zeros_like(params))


def rmsprop_update(grad: Array, state: RmspropState, params: Array, hp: Hparams):
    """v_t = alpha v_{t-1} + (1 - alpha) g_t^2;  x_t = x_{t-1} - lr * g_t / (sqrt(v_t) + eps)."""
    alpha = hp["alpha"]
    square_avg = alpha * state.square_avg + (1.0 - alpha) * grad * grad
    new = params - hp["lr"] * (grad / (jnp.sqrt(square_avg) + hp["eps"]))
    return new, RmspropState(state.updates + 1, square_avg)


def rmsprop_inspect(state: RmspropState, hp: Hparams) -> dict[str, Array]:
    """The squared-gradient average and the per-coordinate learning rate it leaves."""
    return {
        "square_avg": state.square_avg,
        "effective_lr": hp["lr"] / (jnp.sqrt(state.square_avg) + hp["eps"]),
    }


# RMSprop and Adagrad divide the gradient itself by P = sqrt(.) + eps: lam_max(P^-1 H) < 2/lr.


ADAGRAD = OptimizerDef(
    name="adagrad",
    display_name="Adagrad",
    family="adaptive",
    lineage="per-coordinate steps from the sum of squared gradients",
    description=(
        "Adagrad (Duchi, Hazan & Singer, 2011) divides each coordinate's step by the root of "
        "the sum of all its past squared gradients. Steep coordinates get small steps and "
        "flat ones large, but the sum only grows, so every step size shrinks for ever and "
        "long runs stall."
    ),
    update_rule=r"s_t = s_{t-1} + g_t^2 \\ x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}",
    hparams=(lr(0.01), eps(1e-10)),
    init=adagrad_init,
    update=adagrad_update,
    inspect=adagrad_inspect,
    threshold=gd_threshold,
    preconditioner=lambda hp, t, fields, xp: xp.sqrt(fields["sum_sq"]) + hp["eps"],
    reference="torch.optim.Adagrad",
)

RMSPROP = OptimizerDef(
    name="rmsprop",
    display_name="RMSprop",
    family="adaptive",
    lineage="Adagrad with a running average instead of a sum: steps stop shrinking",
    description=(
        "RMSprop (Hinton, 2012) replaces Adagrad's ever-growing sum with an exponential moving "
        "average of squared gradients, so the per-coordinate step sizes adapt to the recent "
        "past instead of decaying to zero. Adam is RMSprop plus momentum and bias correction."
    ),
    update_rule=(
        r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t^2 \\ "
        r"x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}"
    ),
    hparams=(
        lr(0.01),
        HParam(
            "alpha",
            0.99,
            0.0,
            1.0,
            high_open=True,
            slider=(0.0, 0.9999),
            symbol=r"\alpha",
            help="decay rate of the squared-gradient average",
        ),
        eps(1e-8),
    ),
    init=rmsprop_init,
    update=rmsprop_update,
    inspect=rmsprop_inspect,
    threshold=gd_threshold,
    preconditioner=lambda hp, t, fields, xp: xp.sqrt(fields["square_avg"]) + hp["eps"],
    reference="torch.optim.RMSprop",
)

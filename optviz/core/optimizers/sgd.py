"""Plain gradient descent and its momentum variants (torch.optim.SGD semantics)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
from jax.typing import ArrayLike

from optviz.core.optimizers.base import Array, Hparams, OptimizerDef, Values, gd_threshold, lr, momentum


class SgdState(NamedTuple):
    """SGD keeps nothing but the step count."""

    updates: Array


class MomentumState(NamedTuple):
    """The momentum buffer b (zero before the first step, so b_1 = g_1 as in torch)."""

    updates: Array
    buf: Array


def sgd_init(params: Array) -> SgdState:
    """Initial SGD state."""
    return SgdState(updates=jnp.zeros([], jnp.int32))


def sgd_update(grad: Array, state: SgdState, params: Array, hp: Hparams):
    """x_t = x_{t-1} - lr * g_t."""
    return params - hp["lr"] * grad, SgdState(state.updates + 1)


def sgd_inspect(state: SgdState, hp: Hparams) -> dict[str, Array]:
    """SGD has no internal state worth plotting."""
    return {}


def momentum_init(params: Array) -> MomentumState:
    """Initial momentum state: an all-zero buffer."""
    return MomentumState(updates=jnp.zeros([], jnp.int32), buf=jnp.zeros_like(params))


def momentum_update(grad: Array, state: MomentumState, params: Array, hp: Hparams):
    """b_t = mu * b_{t-1} + g_t;  x_t = x_{t-1} - lr * b_t.

    With b_0 = 0 the first buffer is g_1 exactly, which is torch's "the buffer starts at
    the first gradient" (dampening 0).
    """
    buf = hp["momentum"] * state.buf + grad
    return params - hp["lr"] * buf, MomentumState(state.updates + 1, buf)


def nesterov_update(grad: Array, state: MomentumState, params: Array, hp: Hparams):
    """b_t = mu * b_{t-1} + g_t;  x_t = x_{t-1} - lr * (g_t + mu * b_t)  (torch's nesterov=True)."""
    buf = hp["momentum"] * state.buf + grad
    return params - hp["lr"] * (grad + hp["momentum"] * buf), MomentumState(state.updates + 1, buf)


def momentum_inspect(state: MomentumState, hp: Hparams) -> dict[str, Array]:
    """The momentum buffer and the step it takes, -lr * b."""
    return {"buf": state.buf, "step": -hp["lr"] * state.buf}


def momentum_threshold(hp: Values, lr: ArrayLike) -> Any:
    """Heavy-ball momentum mu (torch's form): stable while lam < (2 + 2 mu)/lr."""
    return (2.0 + 2.0 * hp["momentum"]) / lr


def nesterov_threshold(hp: Values, lr: ArrayLike) -> Any:
    """torch's Nesterov form: stable while lam < (2 + 2 mu)/((1 + 2 mu) lr)."""
    return (2.0 + 2.0 * hp["momentum"]) / ((1.0 + 2.0 * hp["momentum"]) * lr)


SGD = OptimizerDef(
    name="sgd",
    display_name="SGD",
    family="gradient descent",
    lineage="the baseline: step against the gradient",
    description=(
        "Plain gradient descent: every step moves against the gradient by the learning rate "
        "times its size. One learning rate for every coordinate, so on an ill-conditioned "
        "surface it must be small enough for the steepest direction and crawls along the "
        "flat ones."
    ),
    update_rule=r"x_t = x_{t-1} - \eta\, g_t",
    hparams=(lr(0.01),),
    init=sgd_init,
    update=sgd_update,
    inspect=sgd_inspect,
    threshold=gd_threshold,
    reference="torch.optim.SGD",
)

MOMENTUM = OptimizerDef(
    name="momentum",
    display_name="SGD + momentum",
    family="gradient descent",
    lineage="SGD + a velocity (Polyak's heavy ball): damps zig-zags",
    description=(
        "Heavy-ball momentum (Polyak, 1964): the step follows a running sum of past gradients, "
        "so consistent directions build up speed and oscillating ones cancel. It crosses "
        "flat valleys faster than SGD, and can overshoot and circle a minimum."
    ),
    update_rule=r"b_t = \mu\, b_{t-1} + g_t \\ x_t = x_{t-1} - \eta\, b_t",
    hparams=(lr(0.01), momentum(0.9)),
    init=momentum_init,
    update=momentum_update,
    inspect=momentum_inspect,
    threshold=momentum_threshold,
    reference="torch.optim.SGD(momentum=...)",
)

NESTEROV = OptimizerDef(
    name="nesterov",
    display_name="Nesterov momentum",
    family="gradient descent",
    lineage="momentum that looks ahead before it steps",
    description=(
        "Nesterov's accelerated gradient in the form PyTorch uses: the step adds the current "
        "gradient to the momentum-scaled buffer, a look-ahead that damps the overshoot of "
        "heavy-ball momentum."
    ),
    update_rule=r"b_t = \mu\, b_{t-1} + g_t \\ x_t = x_{t-1} - \eta\,(g_t + \mu\, b_t)",
    hparams=(lr(0.01), momentum(0.9)),
    init=momentum_init,
    update=nesterov_update,
    inspect=momentum_inspect,
    threshold=nesterov_threshold,
    reference="torch.optim.SGD(momentum=..., nesterov=True)",
)

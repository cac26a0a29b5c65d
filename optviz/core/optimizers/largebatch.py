"""Large-batch methods with a per-layer trust ratio, optax semantics (optax 0.2.x defaults): LAMB
and LARS.

Both rescale each tensor's update by ||x|| / ||update|| (a "trust ratio"), so every layer moves by
a set fraction of its own size whatever its gradient's scale. On a network each tensor is a layer
(``for_network`` gives them the network's tensors); on a 2D surface the parameter vector is the
one layer, its norm taken along axis 0 (one run's coordinates in every layout), so a sweep lays
runs side by side as for any elementwise rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

import jax.numpy as jnp
from jax.typing import ArrayLike

from optviz.core.optimizers.base import (
    Array,
    HParam,
    Hparams,
    Leaf,
    OptimizerDef,
    beta,
    bias_powers,
    eps,
    eps_root,
    lr,
    momentum,
    weight_decay,
    with_decay,
)

# A function giving, for a vector of a run's parameters, each coordinate's tensor norm.
Norms = Callable[[Array], Array]


def _whole_norm(x: Array) -> Array:
    return jnp.sqrt(jnp.sum(x * x, axis=0))


def _tensor_norms(leaves: tuple[Leaf, ...]) -> Norms:
    """Each coordinate of a network's flat vector mapped to its tensor's norm."""

    def norms(x: Array) -> Array:
        # Broadcasts, not jnp.repeat: its index arithmetic took XLA seconds to constant-fold.
        return jnp.concatenate(
            [
                jnp.broadcast_to(jnp.sqrt(jnp.sum(x[leaf.start : leaf.start + leaf.size] ** 2)), (leaf.size,))
                for leaf in leaves
            ]
        )

    return norms


def trust_ratio(
    update: Array, params: Array, norms: Norms, coefficient: ArrayLike = 1.0, eps: ArrayLike = 0.0
) -> Array:
    """optax.scale_by_trust_ratio's factor: coefficient ||x|| / (||u|| + eps), or 1 where either
    norm is 0 (so a zero layer still moves)."""
    p_norm, u_norm = norms(params), norms(update)
    ratio = coefficient * p_norm / (u_norm + eps)
    return jnp.where((p_norm == 0.0) | (u_norm == 0.0), 1.0, ratio)


# --- LAMB (You et al. 2020; optax.lamb) ----------------------------------------------------


class LambState(NamedTuple):
    """Adam's moments, and the trust ratio of the last update (per coordinate: its layer's)."""

    updates: Array
    m: Array
    v: Array
    ratio: Array


def lamb_init(params: Array) -> LambState:
    """Zero moments."""
    zeros = jnp.zeros_like(params)
    return LambState(jnp.zeros([], jnp.int32), zeros, zeros, jnp.ones_like(params))


def _lamb(norms: Norms):
    def update(grad: Array, state: LambState, params: Array, hp: Hparams):
        """u = m_hat / (sqrt(v_hat + eps_root) + eps) + wd x (Adam's direction with decoupled decay);
        x_t = x_{t-1} - lr (||x|| / ||u||) u, the norms per layer."""
        m = (1.0 - hp["b1"]) * grad + hp["b1"] * state.m
        v = (1.0 - hp["b2"]) * grad * grad + hp["b2"] * state.v
        count = state.updates + 1
        bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
        u = with_decay((m / bc1) / (jnp.sqrt(v / bc2 + hp["eps_root"]) + hp["eps"]), params, hp)
        ratio = trust_ratio(u, params, norms)
        return params - hp["lr"] * (u * ratio), LambState(count, m, v, jnp.broadcast_to(ratio, u.shape))

    return update


def lamb_inspect(state: LambState, hp: Hparams) -> dict[str, Array]:
    """Adam's moments and the trust ratio ||x||/||u|| of the last update."""
    return {"m": state.m, "v": state.v, "trust_ratio": state.ratio}


def lamb_for(leaves: tuple[Leaf, ...]):
    """LAMB on a network: one trust ratio per tensor."""
    return lamb_init, _lamb(_tensor_norms(leaves)), lamb_inspect


LAMB = OptimizerDef(
    name="lamb",
    display_name="LAMB",
    family="large-batch",
    lineage="AdamW whose step per layer is scaled to the layer's norm",
    description=(
        "LAMB (You et al., 2020) made BERT trainable with batches of 32k: it takes AdamW's "
        "direction and rescales each layer's step by the trust ratio ||x|| / ||u||, so every "
        "layer moves by a fraction lr of its own size. On a 2D surface the point is the one "
        "layer: each step is lr times as long as the point's distance from the origin."
    ),
    update_rule=(
        r"u_t = \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon} + \lambda x_{t-1} \\ "
        r"x_t = x_{t-1} - \eta\, \frac{\lVert x_{t-1}\rVert}{\lVert u_t\rVert}\, u_t \quad \text{(per layer)}"
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment"),
        eps(1e-6),
        eps_root(0.0),
        weight_decay(0.0),
    ),
    init=lamb_init,
    update=_lamb(_whole_norm),
    inspect=lamb_inspect,
    reference="optax.lamb",
    semantics="a layer is a tensor on a network and the whole 2D point on a surface",
    for_network=lamb_for,
    state_labels={"trust_ratio": (r"\lVert x\rVert / \lVert u\rVert", "trust ratio of the layer")},
    network_settings={"lr": 0.01},
)


# --- LARS (You et al. 2017; optax.lars) ----------------------------------------------------


class LarsState(NamedTuple):
    """The momentum of the scaled updates, and the trust ratio of the last update."""

    updates: Array
    trace: Array
    ratio: Array


def lars_init(params: Array) -> LarsState:
    """Zero momentum."""
    return LarsState(jnp.zeros([], jnp.int32), jnp.zeros_like(params), jnp.ones_like(params))


def _lars(norms: Norms):
    def update(grad: Array, state: LarsState, params: Array, hp: Hparams):
        """u = g + wd x;  u <- lr (c ||x|| / (||u|| + eps)) u (per layer);  f_t = mu f_{t-1} + u;
        x_t = x_{t-1} - f_t  (Nesterov: x_{t-1} - (u + mu f_t)). optax's order: the momentum
        comes after the trust ratio and the lr."""
        u = with_decay(grad, params, hp)
        ratio = trust_ratio(u, params, norms, hp["trust_coefficient"], hp["eps"])
        u = -hp["lr"] * (u * ratio)
        trace = u + hp["momentum"] * state.trace
        step = jnp.where(hp["nesterov"] > 0.5, u + hp["momentum"] * trace, trace)
        return params + step, LarsState(state.updates + 1, trace, jnp.broadcast_to(ratio, u.shape))

    return update


def lars_inspect(state: LarsState, hp: Hparams) -> dict[str, Array]:
    """The momentum (of steps already scaled by the lr) and the trust ratio."""
    return {"buf": state.trace, "trust_ratio": state.ratio}


def lars_for(leaves: tuple[Leaf, ...]):
    """LARS on a network: one trust ratio per tensor (optax's default masks apply it to all)."""
    return lars_init, _lars(_tensor_norms(leaves)), lars_inspect


LARS = OptimizerDef(
    name="lars",
    display_name="LARS",
    family="large-batch",
    lineage="momentum SGD whose step per layer is scaled to the layer's norm",
    description=(
        "LARS (You et al., 2017) trained ResNet-50 with batches of 32k: each layer's gradient is "
        "rescaled by the trust ratio c ||x|| / ||g||, so its step is a fraction of its own size, "
        "then heavy-ball momentum. With optax's c = 0.001 the learning rate is ~1000x SGD's."
    ),
    update_rule=(
        r"u_t = \eta\, \frac{c\, \lVert x_{t-1}\rVert}{\lVert g_t + \lambda x_{t-1}\rVert + \epsilon}"
        r"\,(g_t + \lambda x_{t-1}) \quad \text{(per layer)} \\ "
        r"f_t = \mu f_{t-1} + u_t,\quad x_t = x_{t-1} - f_t"
    ),
    hparams=(
        replace(lr(1.0, slider=(1e-3, 100.0)), high=1000.0),  # c = 0.001 asks for lrs ~1000x SGD's
        weight_decay(0.0, help="added to the gradient before the trust ratio"),
        HParam(
            "trust_coefficient",
            0.001,
            0.0,
            1.0,
            low_open=True,
            slider=(1e-4, 1.0),
            log=True,
            symbol="c",
            help="the fraction of a layer's norm a unit-lr step moves it",
        ),
        HParam("eps", 0.0, 0.0, 1.0, slider=(0.0, 1e-3), symbol=r"\epsilon", help="added to the update's norm"),
        momentum(0.9),
        HParam("nesterov", 0.0, 0.0, 1.0, kind="flag", help="1: Nesterov momentum"),
    ),
    init=lars_init,
    update=_lars(_whole_norm),
    inspect=lars_inspect,
    reference="optax.lars",
    semantics="a layer is a tensor on a network and the whole 2D point on a surface",
    for_network=lars_for,
    state_labels={"trust_ratio": (r"c\lVert x\rVert / \lVert u\rVert", "trust ratio of the layer")},
    network_settings={"lr": 3.0},
)

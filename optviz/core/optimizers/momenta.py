"""Momentum, rethought: Adan and Simplified AdEMAMix (optax semantics, optax 0.2.x defaults) and
MARS (Yuan et al. 2024, MARS-AdamW as the AGI-Arena/MARS repository's ``MARS`` optimizer has it).

Sums over a run's coordinates (MARS's norm of c_t) are taken along axis 0, which holds one run's
coordinates in every layout (optviz.core.optimizers.base.OptimizerDef.elementwise), so all three
stay elementwise and sweep in the fast layout.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import (
    CAUTIOUS_LABELS,
    CAUTIOUS_RULE,
    Array,
    HParam,
    Hparams,
    Leaf,
    OptimizerDef,
    beta,
    bias_powers,
    cautious_flag,
    cautious_info,
    cautious_mask,
    eps,
    eps_root,
    lr,
    weight_decay,
    with_decay,
)
from optviz.core.optimizers.recent import MomentsState, moments_init

# --- Adan (Xie et al. 2022; optax.adan) ----------------------------------------------------


class AdanState(NamedTuple):
    """The averages of the gradient (m), of its change (v) and of the squared extrapolation (n),
    and the previous gradient."""

    updates: Array
    m: Array
    v: Array
    n: Array
    prev: Array


def adan_init(params: Array) -> AdanState:
    """Zero averages; no previous gradient yet."""
    zeros = jnp.zeros_like(params)
    return AdanState(jnp.zeros([], jnp.int32), zeros, zeros, zeros, zeros)


def adan_update(grad: Array, state: AdanState, params: Array, hp: Hparams):
    """d_t = g_t - g_{t-1} (0 at the first step);  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) d;
    n = b3 n + (1-b3) (g + (1-b2) d)^2;
    x_t = x_{t-1} - lr ((m_hat + (1-b2) v_hat) / (sqrt(n_hat + eps_root) + eps) + wd x).
    optax's b1, b2, b3 are the averages' decay rates (the paper's 1 - beta)."""
    diff = jnp.where(state.updates == 0, 0.0, grad - state.prev)
    m = (1.0 - hp["b1"]) * grad + hp["b1"] * state.m
    v = (1.0 - hp["b2"]) * diff + hp["b2"] * state.v
    sq = grad + (1.0 - hp["b2"]) * diff
    n = (1.0 - hp["b3"]) * sq * sq + hp["b3"] * state.n
    count = state.updates + 1
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    _, bc3 = bias_powers(hp["b1"], hp["b3"], count)
    u = (m / bc1 + (1.0 - hp["b2"]) * (v / bc2)) / (jnp.sqrt(n / bc3 + hp["eps_root"]) + hp["eps"])
    return params - hp["lr"] * with_decay(u, params, hp), AdanState(count, m, v, n, grad)


def adan_inspect(state: AdanState, hp: Hparams) -> dict[str, Array]:
    """The three averages."""
    return {"m": state.m, "v_diff": state.v, "n": state.n}


ADAN = OptimizerDef(
    name="adan",
    display_name="Adan",
    family="adaptive",
    lineage="Adam + Nesterov momentum estimated from the gradient's change",
    description=(
        "Adan (Xie et al., 2022) brings Nesterov's look-ahead to Adam without evaluating the "
        "gradient twice: it averages the gradient's change from the last step as well as the "
        "gradient, and adapts to the square of the extrapolated gradient g + (1-b2)(g - g_prev)."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)(g_t - g_{t-1}) \\ "
        r"n_t = \beta_3 n_{t-1} + (1-\beta_3)\,[g_t + (1-\beta_2)(g_t - g_{t-1})]^2 \\ "
        r"x_t = x_{t-1} - \eta\left(\frac{\hat m_t + (1-\beta_2)\hat v_t}{\sqrt{\hat n_t + \epsilon_{root}}"
        r" + \epsilon} + \lambda x_{t-1}\right)"
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.98, r"\beta_1", "decay rate of the gradient's average"),
        beta("b2", 0.92, r"\beta_2", "decay rate of the gradient change's average"),
        beta("b3", 0.99, r"\beta_3", "decay rate of the squared extrapolated gradient's average"),
        eps(1e-8),
        eps_root(1e-8),
        weight_decay(0.0),
    ),
    init=adan_init,
    update=adan_update,
    inspect=adan_inspect,
    reference="optax.adan",
    semantics="b1, b2, b3 are decay rates as in optax (the paper's 1 - β)",
    state_labels={
        "v_diff": ("v_t", "v: average change of the gradient"),
        "n": ("n_t", "n: average squared extrapolated gradient"),
    },
)


# --- Simplified AdEMAMix (Morwani et al. 2025; optax.contrib.simplified_ademamix) ------------


def simplified_ademamix_update(grad: Array, state: MomentsState, params: Array, hp: Hparams):
    """m_t = b1 m_{t-1} + g_t (a sum, not an average: it is 1/(1-b1) times larger);
    n_t = b2 n_{t-1} + (1-b2) g_t^2;  x_t = x_{t-1} - lr ((m_t + alpha g_t)/(sqrt(n_hat + eps_root) + eps) + wd x)."""
    m = grad + hp["b1"] * state.m
    sq = grad * grad
    n = sq + hp["b2"] * (state.v - sq)  # optax's lerp
    count = state.updates + 1
    _, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    u = (m + hp["alpha"] * grad) / (jnp.sqrt(n / bc2 + hp["eps_root"]) + hp["eps"])
    return params - hp["lr"] * with_decay(u, params, hp), MomentsState(count, m, n)


def simplified_ademamix_inspect(state: MomentsState, hp: Hparams) -> dict[str, Array]:
    """The accumulated momentum and the second moment."""
    return {"m": state.m, "v": state.v}


SIMPLIFIED_ADEMAMIX = OptimizerDef(
    name="simplified_ademamix",
    display_name="Simplified AdEMAMix",
    family="adaptive",
    lineage="AdEMAMix with one accumulated momentum plus alpha times the gradient",
    description=(
        "Simplified AdEMAMix (Morwani et al., 2025) keeps AdEMAMix's long memory with one "
        "momentum: an undamped sum m = b1 m + g (so about 1/(1-b1) times a gradient, hence "
        "learning rates ~100x smaller than Adam's at b1 = 0.99) plus alpha times the current "
        "gradient. With alpha = 0, optax's default, it is Adam with theory-style momentum."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\ "
        r"x_t = x_{t-1} - \eta\left(\frac{m_t + \alpha g_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon}"
        r" + \lambda x_{t-1}\right)"
    ),
    hparams=(
        lr(1e-4, slider=(1e-7, 1.0)),
        beta("b1", 0.99, r"\beta_1", "decay of the accumulated momentum"),
        beta("b2", 0.95, r"\beta_2", "decay rate of the second moment"),
        HParam("alpha", 0.0, 0.0, 1000.0, slider=(0.0, 100.0), symbol=r"\alpha", help="weight of the current gradient"),
        eps(1e-8),
        eps_root(0.0),
        weight_decay(0.0),
    ),
    init=moments_init,
    update=simplified_ademamix_update,
    inspect=simplified_ademamix_inspect,
    reference="optax.contrib.simplified_ademamix",
    network_settings={"lr": 3e-4},
)


# --- MARS (Yuan et al. 2024; AGI-Arena/MARS, mars_type="mars-adamw", is_approx=True) ---------

BETAS_1D = (0.9, 0.95)  # the repository's betas_1d: its AdamW for tensors that are not matrices
WEIGHT_DECAY_1D = 0.1  # its weight_decay_1d


class MarsState(NamedTuple):
    """AdamW's moments of the corrected gradient c, the previous gradient, and the cautious mask."""

    updates: Array
    m: Array
    v: Array
    last: Array
    kept: Array


def mars_init(params: Array) -> MarsState:
    """Zero moments and a zero previous gradient (the repository's state['last_grad'])."""
    zeros = jnp.zeros_like(params)
    return MarsState(jnp.zeros([], jnp.int32), zeros, zeros, zeros, jnp.ones_like(params))


def _norm(x: Array) -> Array:
    return jnp.sqrt(jnp.sum(x * x, axis=0))


def _mars_tensor(p, g, m, v, last, count, hp):
    """The repository's update_fn for one tensor treated by MARS: (new p, m, v, mask)."""
    b1, b2 = hp["b1"], hp["b2"]
    c = (g - last) * (hp["gamma"] * (b1 / (1.0 - b1))) + g
    norm = _norm(c)
    c = jnp.where(norm > 1.0, c / norm, c)
    m = b1 * m + (1.0 - b1) * c
    v = b2 * v + (1.0 - b2) * c * c
    bc1, bc2 = bias_powers(b1, b2, count)
    direction = m / ((jnp.sqrt(v) * (1.0 / jnp.sqrt(bc2)) + hp["eps"]) * bc1)
    kept = cautious_mask(direction, g, hp)
    return p + (-hp["lr"]) * (p * hp["weight_decay"] + direction * kept), m, v, kept


def _adamw_1d_tensor(p, g, m, v, count, hp):
    """The repository's AdamW branch for a tensor that is not a matrix (optimize_1d=False)."""
    b1, b2 = BETAS_1D
    m = b1 * m + (1.0 - b1) * g
    v = b2 * v + (1.0 - b2) * g * g
    bc1, bc2 = bias_powers(jnp.float32(b1), jnp.float32(b2), count)
    direction = m / ((jnp.sqrt(v) * (1.0 / jnp.sqrt(bc2)) + hp["eps"]) * bc1)
    return p + (-hp["lr"]) * (p * WEIGHT_DECAY_1D + direction), m, v, jnp.ones_like(p)


def mars_update(grad: Array, state: MarsState, params: Array, hp: Hparams):
    """c_t = g_t + gamma b1/(1-b1) (g_t - g_{t-1}), scaled to norm 1 if longer;
    m = b1 m + (1-b1) c;  v = b2 v + (1-b2) c^2;
    x_t = x_{t-1} - lr (wd x + m / ((sqrt(v)/sqrt(1-b2^t) + eps)(1-b1^t))). On a 2D surface the
    parameter vector is the one tensor, and MARS treats it (the repository's optimize_1d=True)."""
    count = state.updates + 1
    new, m, v, kept = _mars_tensor(params, grad, state.m, state.v, state.last, count, hp)
    return new, MarsState(count, m, v, grad, kept)


def mars_inspect(state: MarsState, hp: Hparams) -> dict[str, Array]:
    """Its moments, the previous gradient, and with cautious=1 the last update's mask."""
    return {"m": state.m, "v": state.v, "last": state.last, **cautious_info(state.kept)}


def mars_for(leaves: tuple[Leaf, ...]):
    """MARS on a network: its rule for each weight matrix (a tensor torch holds in 2-D), the
    repository's AdamW (betas (0.9, 0.95), weight decay 0.1, the same lr) for the rest."""

    def update(grad: Array, state: MarsState, params: Array, hp: Hparams):
        count = state.updates + 1
        parts: list[tuple[Array, ...]] = []
        for leaf in leaves:
            cut = slice(leaf.start, leaf.start + leaf.size)
            p, g, m, v = params[cut], grad[cut], state.m[cut], state.v[cut]
            if len(leaf.torch_shape) == 2:
                parts.append(_mars_tensor(p, g, m, v, state.last[cut], count, hp))
            else:
                parts.append(_adamw_1d_tensor(p, g, m, v, count, hp))
        new, m, v, kept = (jnp.concatenate(column) for column in zip(*parts))
        return new, MarsState(count, m, v, grad, kept)

    return mars_init, update, mars_inspect


MARS = OptimizerDef(
    name="mars",
    display_name="MARS",
    family="adaptive",
    lineage="AdamW on a variance-reduced gradient (a scaled difference of successive gradients added)",
    description=(
        "MARS (Yuan et al., 2024, Make vAriance Reduction Shine) feeds AdamW a variance-reduced "
        "gradient: c = g + gamma b1/(1-b1) (g - g_prev), the STORM correction computed from the "
        "previous step's gradient (its cheap 'approximate' form), clipped to norm 1. On a network "
        "its weight matrices get MARS and the other tensors plain AdamW, as in the reference code."
    ),
    update_rule=(
        r"c_t = g_t + \gamma \frac{\beta_1}{1-\beta_1}(g_t - g_{t-1}),\quad c_t \leftarrow "
        r"\frac{c_t}{\max(1, \lVert c_t\rVert)} \\ "
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) c_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) c_t^2 \\ "
        r"x_t = x_{t-1} - \eta\left(\lambda x_{t-1} + \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}\right)"
        + r" \\ "
        + CAUTIOUS_RULE
    ),
    hparams=(
        lr(3e-3),
        beta("b1", 0.95, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.99, r"\beta_2", "decay rate of the second moment"),
        eps(1e-8),
        weight_decay(0.0),
        HParam(
            "gamma", 0.025, 0.0, 1.0, slider=(0.0, 0.2), symbol=r"\gamma", help="weight of the gradient's change in c_t"
        ),
        cautious_flag(),
    ),
    init=mars_init,
    update=mars_update,
    inspect=mars_inspect,
    reference="Yuan et al. 2024, AGI-Arena/MARS (mars-adamw, is_approx=True)",
    semantics=(
        "the approximate form (c_t from the previous step's gradient); on a surface the 2D vector "
        "is treated by MARS (optimize_1d=True), on a network matrices by MARS and other tensors by "
        "AdamW with betas (0.9, 0.95), weight decay 0.1 and the same lr (optimize_1d=False, "
        "lr_1d = lr); cautious=1 masks the adaptive term as C-AdamW does"
    ),
    for_network=mars_for,
    state_labels={
        "last": ("g_{t-1}", "previous gradient"),
        **CAUTIOUS_LABELS,
    },
)

"""Adam and its close relatives: AdamW, AMSGrad, Adamax and NAdam (torch.optim semantics).

Every rule below is written in the order torch evaluates it, so float32 results agree with
torch to rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax.numpy as jnp
from jax.typing import ArrayLike

from optviz.core.optimizers.base import (
    CAUTIOUS_LABELS,
    CAUTIOUS_RULE,
    Array,
    HParam,
    Hparams,
    OptimizerDef,
    Values,
    beta,
    bias_powers,
    cautious_flag,
    cautious_info,
    cautious_mask,
    decayed,
    eps,
    lr,
    one_minus_power_xp,
    weight_decay,
)


class AdamState(NamedTuple):
    """First and second moment estimates m and v (both start at zero)."""

    updates: Array
    m: Array
    v: Array


class AdamWState(NamedTuple):
    """Adam's moments, and the cautious mask of the last update (ones when cautious is off)."""

    updates: Array
    m: Array
    v: Array
    kept: Array


class AmsgradState(NamedTuple):
    """Adam's moments plus the running maximum of the raw v."""

    updates: Array
    m: Array
    v: Array
    v_max: Array


class AdamaxState(NamedTuple):
    """The first moment m and the exponentially weighted infinity norm u."""

    updates: Array
    m: Array
    u: Array


class NadamState(NamedTuple):
    """Adam's moments plus the running product of the momentum schedule mu_1 ... mu_t."""

    updates: Array
    m: Array
    v: Array
    mu_product: Array


def _moments(grad: Array, m: Array, v: Array, hp: Hparams) -> tuple[Array, Array]:
    m = hp["b1"] * m + (1.0 - hp["b1"]) * grad
    v = hp["b2"] * v + (1.0 - hp["b2"]) * grad * grad
    return m, v


def adam_init(params: Array) -> AdamState:
    """Initial Adam state: zero moments."""
    zeros = jnp.zeros_like(params)
    return AdamState(jnp.zeros([], jnp.int32), zeros, zeros)


def _adam_corrections(count: Array, hp: Hparams) -> tuple[Array, Array]:
    """(1 - b1^t, 1 - b2^t), or (1, 1) when the optional bias_correction flag is 0."""
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    on = hp.get("bias_correction", 1.0) > 0.5
    return jnp.where(on, bc1, 1.0), jnp.where(on, bc2, 1.0)


def _adam_step(params: Array, m: Array, v: Array, bc1: Array, bc2: Array, hp: Hparams) -> Array:
    step_size = hp["lr"] / bc1
    denom = jnp.sqrt(v) / jnp.sqrt(bc2) + hp["eps"]
    return params - step_size * (m / denom)


def adam_update(grad: Array, state: AdamState, params: Array, hp: Hparams):
    """m_t = b1 m + (1-b1) g;  v_t = b2 v + (1-b2) g^2;
    x_t = x_{t-1} - lr * m_hat / (sqrt(v_hat) + eps), m_hat = m_t/(1-b1^t), v_hat = v_t/(1-b2^t).

    With bias_correction=0 the raw m_t and v_t are used instead of m_hat and v_hat.
    """
    count = state.updates + 1
    m, v = _moments(grad, state.m, state.v, hp)
    bc1, bc2 = _adam_corrections(count, hp)
    return _adam_step(params, m, v, bc1, bc2, hp), AdamState(count, m, v)


def adam_inspect(state: AdamState, hp: Hparams) -> dict[str, Array]:
    """m, v, their bias-corrected forms, and the effective step lr * m_hat / (sqrt(v_hat) + eps)."""
    bc1, bc2 = _adam_corrections(state.updates, hp)
    m_hat, v_hat = state.m / bc1, state.v / bc2
    return {
        "m": state.m,
        "v": state.v,
        "m_hat": m_hat,
        "v_hat": v_hat,
        "step": hp["lr"] * m_hat / (jnp.sqrt(v_hat) + hp["eps"]),
    }


def adamw_update(grad: Array, state: AdamState, params: Array, hp: Hparams):
    """x <- x * (1 - lr * weight_decay), then the Adam step: torch's decoupled weight decay."""
    return adam_update(grad, state, decayed(params, hp), hp)


def adamw_init(params: Array) -> AdamWState:
    """Zero moments; every coordinate kept."""
    zeros = jnp.zeros_like(params)
    return AdamWState(jnp.zeros([], jnp.int32), zeros, zeros, jnp.ones_like(params))


def cautious_adamw_update(grad: Array, state: AdamWState, params: Array, hp: Hparams):
    """AdamW, and with cautious=1 C-AdamW (Liang et al. 2024; C-Optim's c_adamw.py): after the
    decay x <- x (1 - lr wd) and Adam's moments, the step lr m_hat/(sqrt(v_hat)+eps) is taken
    times phi = 1[m g > 0] / max(mean 1[m g > 0], 1e-3)."""
    params = decayed(params, hp)
    count = state.updates + 1
    m, v = _moments(grad, state.m, state.v, hp)
    bc1, bc2 = _adam_corrections(count, hp)
    kept = cautious_mask(m, grad, hp)
    step = (hp["lr"] / bc1) * (m * kept / (jnp.sqrt(v) / jnp.sqrt(bc2) + hp["eps"]))
    return params - step, AdamWState(count, m, v, kept)


def adamw_inspect(state: AdamWState, hp: Hparams) -> dict[str, Array]:
    """Adam's quantities, and with cautious=1 the mask of the last update (0 where dropped)."""
    info = adam_inspect(AdamState(state.updates, state.m, state.v), hp)
    return {**info, **cautious_info(state.kept)}


def amsgrad_init(params: Array) -> AmsgradState:
    """Initial AMSGrad state."""
    zeros = jnp.zeros_like(params)
    return AmsgradState(jnp.zeros([], jnp.int32), zeros, zeros, zeros)


def amsgrad_update(grad: Array, state: AmsgradState, params: Array, hp: Hparams):
    """Adam with v_max_t = max(v_max_{t-1}, v_t) in place of v_t, bias-corrected by 1 - b2^t
    (torch's Adam(amsgrad=True))."""
    count = state.updates + 1
    m, v = _moments(grad, state.m, state.v, hp)
    v_max = jnp.maximum(state.v_max, v)
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    return _adam_step(params, m, v_max, bc1, bc2, hp), AmsgradState(count, m, v, v_max)


def amsgrad_inspect(state: AmsgradState, hp: Hparams) -> dict[str, Array]:
    """Adam's quantities, with v_hat taken from the running maximum."""
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], state.updates)
    m_hat, v_hat = state.m / bc1, state.v_max / bc2
    return {
        "m": state.m,
        "v": state.v,
        "v_max": state.v_max,
        "m_hat": m_hat,
        "v_hat": v_hat,
        "step": hp["lr"] * m_hat / (jnp.sqrt(v_hat) + hp["eps"]),
    }


def adamax_init(params: Array) -> AdamaxState:
    """Initial Adamax state."""
    zeros = jnp.zeros_like(params)
    return AdamaxState(jnp.zeros([], jnp.int32), zeros, zeros)


def adamax_update(grad: Array, state: AdamaxState, params: Array, hp: Hparams):
    """m_t = b1 m + (1-b1) g;  u_t = max(b2 u, |g| + eps);  x_t = x_{t-1} - lr/(1-b1^t) * m_t/u_t."""
    count = state.updates + 1
    m = hp["b1"] * state.m + (1.0 - hp["b1"]) * grad
    u = jnp.maximum(hp["b2"] * state.u, jnp.abs(grad) + hp["eps"])
    bc1, _ = bias_powers(hp["b1"], hp["b2"], count)
    return params - (hp["lr"] / bc1) * (m / u), AdamaxState(count, m, u)


def adamax_inspect(state: AdamaxState, hp: Hparams) -> dict[str, Array]:
    """m, the infinity-norm estimate u, and the step lr * m_hat / u."""
    bc1, _ = bias_powers(hp["b1"], hp["b2"], state.updates)
    return {"m": state.m, "u": state.u, "m_hat": state.m / bc1, "step": hp["lr"] / bc1 * state.m / state.u}


def nadam_init(params: Array) -> NadamState:
    """Initial NAdam state (the momentum product starts at 1)."""
    zeros = jnp.zeros_like(params)
    # One product per run: a scalar for one parameter vector, one per column for a batch [d, runs].
    return NadamState(jnp.zeros([], jnp.int32), zeros, zeros, jnp.ones(jnp.shape(params)[1:], jnp.float32))


def _nadam_mu(hp: Hparams, t: Array) -> Array:
    return hp["b1"] * (1.0 - 0.5 * 0.96 ** (t * hp["momentum_decay"]))


def nadam_update(grad: Array, state: NadamState, params: Array, hp: Hparams):
    """torch.optim.NAdam: mu_t = b1 (1 - 0.5 * 0.96^(t psi)), psi = momentum_decay;
    x_t = x_{t-1} - lr (1-mu_t)/(1-prod mu_{1..t}) g/d - lr mu_{t+1}/(1-prod mu_{1..t+1}) m_t/d,
    with d = sqrt(v_t / (1-b2^t)) + eps."""
    count = state.updates + 1
    t = count.astype(jnp.float32)
    mu, mu_next = _nadam_mu(hp, t), _nadam_mu(hp, t + 1.0)
    mu_product = state.mu_product * mu
    m, v = _moments(grad, state.m, state.v, hp)
    _, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    denom = jnp.sqrt(v / bc2) + hp["eps"]
    new = params - (hp["lr"] * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)
    new = new - (hp["lr"] * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
    return new, NadamState(count, m, v, mu_product)


def nadam_inspect(state: NadamState, hp: Hparams) -> dict[str, Array]:
    """m, v, the bias-corrected v and the momentum product."""
    _, bc2 = bias_powers(hp["b1"], hp["b2"], state.updates)
    return {"m": state.m, "v": state.v, "v_hat": state.v / bc2, "mu_product": state.mu_product}


def _adam_hparams(lr_default: float) -> tuple[HParam, ...]:
    return (
        lr(lr_default),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment (momentum)"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment"),
        eps(1e-8),
    )


_ADAM_RULE = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ "
    r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\ "
    r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t} \\ "
    r"x_t = x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
)


# Stability (optviz.core.analysis.stability): each update is lr P^-1 m_t, with m_t an exponential
# average with b1, so lam_max(P^-1 H) must stay under (2 + 2 b1)/((1 - b1) lr): 38/lr at b1 = 0.9.
def adam_threshold(hp: Values, lr: ArrayLike) -> Any:
    """The preconditioned sharpness's bound: (2 + 2 b1)/((1 - b1) lr)."""
    return (2.0 + 2.0 * hp["b1"]) / ((1.0 - hp["b1"]) * lr)


def _corrections(hp: Values, t: Any, xp: Any) -> tuple[Any, Any]:
    return one_minus_power_xp(hp["b1"], t, xp), one_minus_power_xp(hp["b2"], t, xp)


def adam_preconditioner(hp: Values, t: Any, fields: Mapping[str, Any], xp: Any) -> Any:
    """P = (1 - b1^t)(sqrt(v_t / (1 - b2^t)) + eps): without the corrections when bias_correction=0."""
    bc1, bc2 = _corrections(hp, t, xp)
    on = hp.get("bias_correction", 1.0) > 0.5
    bc1, bc2 = xp.where(on, bc1, 1.0), xp.where(on, bc2, 1.0)
    return bc1 * (xp.sqrt(fields["v"] / bc2) + hp["eps"])


def amsgrad_preconditioner(hp: Values, t: Any, fields: Mapping[str, Any], xp: Any) -> Any:
    """Adam's P with the running maximum v_max."""
    bc1, bc2 = _corrections(hp, t, xp)
    return bc1 * (xp.sqrt(fields["v_max"] / bc2) + hp["eps"])


def adamax_preconditioner(hp: Values, t: Any, fields: Mapping[str, Any], xp: Any) -> Any:
    """P = (1 - b1^t) u_t."""
    return _corrections(hp, t, xp)[0] * fields["u"]


ADAM = OptimizerDef(
    name="adam",
    display_name="Adam",
    family="adaptive",
    lineage="RMSprop + momentum + bias correction",
    description=(
        "Adam (Kingma & Ba, 2014): adaptive moment estimation. It keeps an exponential moving "
        "average of the gradient (the first moment m, momentum) and of its square (the second "
        "moment v, as in RMSprop), corrects both for their start at zero, and steps each "
        "coordinate by m-hat over the root of v-hat. The step is about lr whatever the "
        "gradient's scale. Set bias_correction to 0 to see what the correction is for."
    ),
    update_rule=_ADAM_RULE,
    hparams=_adam_hparams(0.001)
    + (
        HParam(
            "bias_correction",
            1.0,
            0.0,
            1.0,
            kind="flag",
            slider=(0.0, 1.0),
            symbol="",
            help="1: divide m and v by 1-beta^t (standard Adam); 0: use the raw moments",
        ),
    ),
    init=adam_init,
    update=adam_update,
    inspect=adam_inspect,
    threshold=adam_threshold,
    preconditioner=adam_preconditioner,
    reference="torch.optim.Adam",
)

ADAMW = OptimizerDef(
    name="adamw",
    display_name="AdamW",
    family="adaptive",
    lineage="Adam with weight decay taken out of the gradient (decoupled)",
    description=(
        "AdamW (Loshchilov & Hutter, 2019) decouples weight decay from the gradient: the "
        "weights shrink by lr times the decay coefficient directly, instead of an L2 term "
        "being added to the gradient where Adam's per-coordinate scaling would distort it."
    ),
    update_rule=r"x_{t-1} \leftarrow x_{t-1}(1 - \eta \cdot \lambda) \\ " + _ADAM_RULE + r" \\ " + CAUTIOUS_RULE,
    hparams=_adam_hparams(0.001) + (weight_decay(0.01), cautious_flag()),
    init=adamw_init,
    update=cautious_adamw_update,
    inspect=adamw_inspect,
    threshold=adam_threshold,
    preconditioner=adam_preconditioner,
    reference="torch.optim.AdamW",
    semantics=(
        "cautious=1 is C-AdamW (C-Optim's c_adamw.py): the mask's mean is taken over one run's "
        "parameters (on a network all of them, where C-Optim takes each tensor's)"
    ),
    state_labels=CAUTIOUS_LABELS,
)

AMSGRAD = OptimizerDef(
    name="amsgrad",
    display_name="AMSGrad",
    family="adaptive",
    lineage="Adam that never lets v shrink: fixes Reddi et al.'s counterexample",
    description=(
        "AMSGrad (Reddi, Kale & Kumar, 2018) fixes a flaw in Adam's convergence proof: it "
        "divides by the running maximum of v rather than v itself, so the effective step size "
        "never grows back after a large gradient. On Reddi et al.'s counterexample Adam "
        "drifts to the wrong end and AMSGrad does not."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\ "
        r"v^{\max}_t = \max(v^{\max}_{t-1}, v_t) \\ "
        r"x_t = x_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{\sqrt{v^{\max}_t/(1-\beta_2^t)} + \epsilon}"
    ),
    hparams=_adam_hparams(0.001),
    init=amsgrad_init,
    update=amsgrad_update,
    inspect=amsgrad_inspect,
    threshold=adam_threshold,
    preconditioner=amsgrad_preconditioner,
    reference="torch.optim.Adam(amsgrad=True)",
)

ADAMAX = OptimizerDef(
    name="adamax",
    display_name="Adamax",
    family="adaptive",
    lineage="Adam with the infinity norm in place of v",
    description=(
        "Adamax, from the Adam paper itself: the second moment becomes an exponentially "
        "weighted infinity norm, u = max(b2 u, |g|), which needs no bias correction and is "
        "steadier when gradients are occasionally huge."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\ "
        r"u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\ "
        r"x_t = x_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}"
    ),
    hparams=_adam_hparams(0.002),
    init=adamax_init,
    update=adamax_update,
    inspect=adamax_inspect,
    threshold=adam_threshold,
    preconditioner=adamax_preconditioner,
    reference="torch.optim.Adamax",
)

NADAM = OptimizerDef(
    name="nadam",
    display_name="NAdam",
    family="adaptive",
    lineage="Adam with Nesterov's look-ahead",
    description=(
        "NAdam (Dozat, 2016) puts Nesterov's look-ahead into Adam: the step mixes the current "
        "gradient with the next step's momentum, under a momentum schedule that warms up "
        "through momentum_decay."
    ),
    update_rule=(
        r"\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t \cdot \psi}\right) \\ "
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\ "
        r"x_t = x_{t-1} - \eta \left(\frac{(1-\mu_t)\, g_t}{1-\prod_{i\le t}\mu_i} "
        r"+ \frac{\mu_{t+1}\, m_t}{1-\prod_{i\le t+1}\mu_i}\right) \Big/ "
        r"\left(\sqrt{\frac{v_t}{1-\beta_2^t}} + \epsilon\right)"
    ),
    hparams=_adam_hparams(0.002)
    + (
        HParam(
            "momentum_decay",
            0.004,
            0.0,
            1.0,
            slider=(0.0, 0.1),
            symbol=r"\psi",
            help="how fast the momentum schedule warms up",
        ),
    ),
    init=nadam_init,
    update=nadam_update,
    inspect=nadam_inspect,
    state_labels={
        "mu_product": (r"\textstyle\prod_{i\le t}\mu_i", "product of the momentum schedule"),
    },
    reference="torch.optim.NAdam",
)

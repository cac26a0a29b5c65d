"""Adam's successors and older per-coordinate rules people still ask about.

torch.optim semantics (torch 2.13 defaults): RAdam, Adadelta, Rprop. optax semantics (optax
0.2.x defaults, the JAX ecosystem's reference): AdaBelief, Yogi, ADOPT, AdEMAMix. Each rule is
written in its reference's order of operations, so float32 results agree to rounding.
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
    OptimizerDef,
    beta,
    bias_powers,
    cautious_flag,
    cautious_info,
    cautious_mask,
    eps,
    l2,
    lr,
    weight_decay,
    with_decay,
)


class MomentsState(NamedTuple):
    """A step count and two running averages (their meaning depends on the optimizer)."""

    updates: Array
    m: Array
    v: Array


def moments_init(params: Array) -> MomentsState:
    """Zero averages."""
    zeros = jnp.zeros_like(params)
    return MomentsState(jnp.zeros([], jnp.int32), zeros, zeros)


# --- RAdam (Liu et al. 2020; torch.optim.RAdam) -------------------------------------------


def radam_update(grad: Array, state: MomentsState, params: Array, hp: Hparams):
    """Adam's moments; while the variance of the adaptive step is intractable (rho_t <= 5) an
    un-adapted momentum step lr m_hat, after it lr m_hat r_t sqrt(1-b2^t) / (sqrt(v_t) + eps),
    with rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2 t b2^t/(1-b2^t) and
    r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)).
    weight_decay adds weight_decay x to the gradient (torch's default, not decoupled)."""
    grad = l2(grad, params, hp)
    count = state.updates + 1
    m = state.m + (grad - state.m) * (1.0 - hp["b1"])  # torch's lerp_
    v = hp["b2"] * state.v + (1.0 - hp["b2"]) * grad * grad
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    m_hat = m / bc1
    rho_inf = 2.0 / (1.0 - hp["b2"]) - 1.0
    t = count.astype(jnp.float32)
    rho_t = rho_inf - 2.0 * t * (1.0 - bc2) / bc2
    safe = jnp.maximum(rho_t, 5.0 + 1e-3)
    rect = jnp.sqrt((safe - 4.0) * (safe - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * safe))
    adaptive = jnp.sqrt(bc2) / (jnp.sqrt(v) + hp["eps"])
    step = jnp.where(rho_t > 5.0, m_hat * hp["lr"] * adaptive * rect, m_hat * hp["lr"])
    return params - step, MomentsState(count, m, v)


def radam_inspect(state: MomentsState, hp: Hparams) -> dict[str, Array]:
    """m, v, rho_t and whether the step is rectified (adaptive) yet."""
    _, bc2 = bias_powers(hp["b1"], hp["b2"], jnp.maximum(state.updates, 1))
    rho_inf = 2.0 / (1.0 - hp["b2"]) - 1.0
    rho_t = rho_inf - 2.0 * state.updates.astype(jnp.float32) * (1.0 - bc2) / bc2
    return {"m": state.m, "v": state.v, "rho_t": rho_t, "adaptive": (rho_t > 5.0).astype(jnp.float32)}


RADAM = OptimizerDef(
    name="radam",
    display_name="RAdam",
    family="adaptive",
    lineage="Adam with a derived warmup: no adaptive step until v's variance is tractable",
    description=(
        "RAdam (Liu et al., 2020) fixes Adam's first steps, when v rests on a handful of "
        "gradients and its variance is huge: until the approximated SMA length rho_t exceeds 5 "
        "it takes plain momentum steps, then adaptive ones scaled by a rectification term that "
        "grows to 1. A built-in warmup, derived rather than tuned."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\; v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\ "
        r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t} \\ "
        r"x_t = x_{t-1} - \eta\, \hat m_t\, r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}"
        r"\ (\rho_t > 5),\quad x_{t-1} - \eta\, \hat m_t \text{ otherwise}"
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment"),
        eps(1e-8),
        weight_decay(0.0, help="L2 penalty added to the gradient (torch's default, not decoupled)"),
    ),
    init=moments_init,
    update=radam_update,
    inspect=radam_inspect,
    reference="torch.optim.RAdam",
    state_labels={
        "rho_t": (r"\rho_t", "ρ_t: length of the approximated moving average"),
        "adaptive": (r"\text{rectified}", "adaptive step on (1) or momentum only (0)"),
    },
)


# --- Adadelta (Zeiler 2012; torch.optim.Adadelta) -----------------------------------------


def adadelta_update(grad: Array, state: MomentsState, params: Array, hp: Hparams):
    """v_t = rho v + (1-rho) g^2;  d_t = sqrt(u_{t-1} + eps)/sqrt(v_t + eps) g_t;
    u_t = rho u + (1-rho) d_t^2;  x_t = x_{t-1} - lr d_t  (m holds u, the squared-step average)."""
    grad = l2(grad, params, hp)
    rho = hp["rho"]
    v = rho * state.v + (1.0 - rho) * grad * grad
    delta = jnp.sqrt(state.m + hp["eps"]) / jnp.sqrt(v + hp["eps"]) * grad
    u = rho * state.m + (1.0 - rho) * delta * delta
    return params - hp["lr"] * delta, MomentsState(state.updates + 1, u, v)


def adadelta_inspect(state: MomentsState, hp: Hparams) -> dict[str, Array]:
    """The squared-gradient and squared-step averages, and the unit-correcting step size they give."""
    return {
        "square_avg": state.v,
        "acc_delta": state.m,
        "effective_lr": hp["lr"] * jnp.sqrt(state.m + hp["eps"]) / jnp.sqrt(state.v + hp["eps"]),
    }


ADADELTA = OptimizerDef(
    name="adadelta",
    display_name="Adadelta",
    family="adaptive",
    lineage="RMSprop whose step has the parameters' units (no global lr needed)",
    description=(
        "Adadelta (Zeiler, 2012) replaces Adagrad's ever-growing sum by a running average, and "
        "the global learning rate by the running RMS of past steps, so a step has the units of "
        "the parameters. torch keeps lr (default 1) as a final scale."
    ),
    update_rule=(
        r"v_t = \rho v_{t-1} + (1-\rho) g_t^2 \\ "
        r"\Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}}\, g_t,\quad "
        r"u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2 \\ x_t = x_{t-1} - \eta \Delta_t"
    ),
    hparams=(
        lr(1.0, slider=(1e-3, 10.0)),
        HParam("rho", 0.9, 0.0, 1.0, slider=(0.0, 0.999), symbol=r"\rho", help="decay rate of both running averages"),
        eps(1e-6, help="inside both square roots: it also sets the first steps' size"),
        weight_decay(0.0, help="L2 penalty added to the gradient"),
    ),
    init=moments_init,
    update=adadelta_update,
    inspect=adadelta_inspect,
    reference="torch.optim.Adadelta",
    state_labels={
        "acc_delta": ("u_t", "u: average squared step"),
    },
)


# --- Rprop (Riedmiller & Braun 1993; torch.optim.Rprop) -----------------------------------


class RpropState(NamedTuple):
    """The previous step's gradient (zeroed where its sign flipped) and each coordinate's step size."""

    updates: Array
    prev: Array
    step_size: Array


def rprop_init(params: Array) -> RpropState:
    """Zero previous gradient; step sizes are set to lr on the first update (torch: full_like(lr))."""
    zeros = jnp.zeros_like(params)
    return RpropState(jnp.zeros([], jnp.int32), zeros, zeros)


def rprop_update(grad: Array, state: RpropState, params: Array, hp: Hparams):
    """Only the gradient's sign is used: a coordinate whose sign held grows its step by etaplus,
    one whose sign flipped shrinks it by etaminus (clamped to [step_size_min, step_size_max]) and
    skips this step; x_t = x_{t-1} - sign(g_t) s_t."""
    step_size = jnp.where(state.updates == 0, hp["lr"], state.step_size)
    product = jnp.sign(grad * state.prev)
    factor = jnp.where(product > 0, hp["etaplus"], jnp.where(product < 0, hp["etaminus"], 1.0))
    step_size = jnp.clip(step_size * factor, hp["step_size_min"], hp["step_size_max"])
    grad = jnp.where(product < 0, 0.0, grad)
    return params - jnp.sign(grad) * step_size, RpropState(state.updates + 1, grad, step_size)


def rprop_inspect(state: RpropState, hp: Hparams) -> dict[str, Array]:
    """Each coordinate's step size."""
    return {"step_size": state.step_size}


RPROP = OptimizerDef(
    name="rprop",
    display_name="Rprop",
    family="sign",
    lineage="the gradient's sign only, one step size per coordinate",
    description=(
        "Rprop (Riedmiller & Braun, 1993) ignores the gradient's size and keeps one step size "
        "per coordinate: grown while the gradient's sign holds, shrunk when it flips. Made for "
        "full-batch training; with noisy gradients the signs flip at random."
    ),
    update_rule=(
        r"s_t = \mathrm{clip}(s_{t-1}\cdot\{\eta^+ \text{ if } g_t g_{t-1} > 0;\ "
        r"\eta^- \text{ if } < 0;\ 1\},\ s_{\min}, s_{\max}) \\ "
        r"x_t = x_{t-1} - \mathrm{sign}(g_t)\, s_t \quad (g_t := 0 \text{ where the sign flipped})"
    ),
    hparams=(
        lr(0.01, slider=(1e-5, 1.0)),
        HParam(
            "etaminus",
            0.5,
            0.0,
            1.0,
            low_open=True,
            high_open=True,
            slider=(0.01, 0.99),
            symbol=r"\eta^-",
            help="factor for a step size whose gradient changed sign",
        ),
        HParam(
            "etaplus",
            1.2,
            1.0,
            10.0,
            low_open=True,
            slider=(1.01, 3.0),
            symbol=r"\eta^+",
            help="factor for a step size whose gradient kept its sign",
        ),
        HParam(
            "step_size_min",
            1e-6,
            0.0,
            1.0,
            low_open=True,
            slider=(1e-9, 1e-2),
            log=True,
            symbol=r"s_{\min}",
            help="smallest step size",
        ),
        HParam(
            "step_size_max",
            50.0,
            0.0,
            1e4,
            low_open=True,
            slider=(1e-3, 100.0),
            log=True,
            symbol=r"s_{\max}",
            help="largest step size",
        ),
    ),
    init=rprop_init,
    update=rprop_update,
    inspect=rprop_inspect,
    reference="torch.optim.Rprop",
    semantics="torch's etas and step_sizes pairs are four keys: etaminus, etaplus, step_size_min, step_size_max",
    state_labels={
        "step_size": (r"\eta_t", "per-coordinate step size"),
    },
)


# --- AdaBelief (Zhuang et al. 2020; optax.adabelief) --------------------------------------


def adabelief_update(grad: Array, state: MomentsState, params: Array, hp: Hparams):
    """m_t = b1 m + (1-b1) g;  s_t = b2 s + (1-b2)(g - m_t)^2 + eps_root;
    x_t = x_{t-1} - lr m_hat / (sqrt(s_hat) + eps): the belief in the gradient is its distance
    from the prediction m_t."""
    m = hp["b1"] * state.m + (1.0 - hp["b1"]) * grad
    error = grad - m
    s = hp["b2"] * state.v + (1.0 - hp["b2"]) * error * error + hp["eps_root"]
    count = state.updates + 1
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    return params - hp["lr"] * ((m / bc1) / (jnp.sqrt(s / bc2) + hp["eps"])), MomentsState(count, m, s)


def _adam_like_inspect(state: MomentsState, hp: Hparams) -> dict[str, Array]:
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], jnp.maximum(state.updates, 1))
    return {"m": state.m, "v": state.v, "step": hp["lr"] * (state.m / bc1) / (jnp.sqrt(state.v / bc2) + hp["eps"])}


ADABELIEF = OptimizerDef(
    name="adabelief",
    display_name="AdaBelief",
    family="adaptive",
    lineage="Adam whose v is the variance around the prediction m",
    description=(
        "AdaBelief (Zhuang et al., 2020) is Adam with v replaced by s, the running variance of "
        "the gradient around its own prediction m. Where the gradient is what momentum expected, "
        "s is small and the step large; where it surprises, the step shrinks."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ "
        r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon_{root} \\ "
        r"x_t = x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon}"
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the belief (variance around m)"),
        eps(1e-16, help="added to the denominator", slider=(1e-20, 1e-1)),
        HParam(
            "eps_root", 1e-16, 0.0, 1.0, slider=(0.0, 1e-3), symbol=r"\epsilon_{root}", help="added to s every step"
        ),
    ),
    init=moments_init,
    update=adabelief_update,
    inspect=_adam_like_inspect,
    reference="optax.adabelief",
)


# --- Yogi (Zaheer et al. 2018; optax.yogi) -------------------------------------------------


def yogi_init(params: Array) -> MomentsState:
    """optax's initial_accumulator_value: both moments start at 1e-6."""
    start = jnp.full_like(params, 1e-6)
    return MomentsState(jnp.zeros([], jnp.int32), start, start)


def yogi_update(grad: Array, state: MomentsState, params: Array, hp: Hparams):
    """m_t = b1 m + (1-b1) g;  v_t = v - (1-b2) sign(v - g^2) g^2 (additive: v moves toward g^2
    by at most (1-b2) g^2); x_t = x_{t-1} - lr m_hat / (sqrt(v_hat) + eps)."""
    m = hp["b1"] * state.m + (1.0 - hp["b1"]) * grad
    sq = grad * grad
    v = state.v - (1.0 - hp["b2"]) * jnp.sign(state.v - sq) * sq
    count = state.updates + 1
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    return params - hp["lr"] * ((m / bc1) / (jnp.sqrt(v / bc2) + hp["eps"])), MomentsState(count, m, v)


YOGI = OptimizerDef(
    name="yogi",
    display_name="Yogi",
    family="adaptive",
    lineage="Adam whose v moves additively, so bursts cannot inflate the step",
    description=(
        "Yogi (Zaheer et al., 2018) changes how v follows g²: additively, by at most (1-b2)g² a "
        "step, instead of Adam's multiplicative average, so a sudden burst of large gradients "
        "cannot wipe out the memory of small ones and inflate the step."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ "
        r"v_t = v_{t-1} - (1-\beta_2)\,\mathrm{sign}(v_{t-1} - g_t^2)\, g_t^2 \\ "
        r"x_t = x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
    ),
    hparams=(
        lr(0.01),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.999, r"\beta_2", "how fast v may move toward g²"),
        eps(1e-3),
    ),
    init=yogi_init,
    update=yogi_update,
    inspect=_adam_like_inspect,
    reference="optax.yogi",
    semantics="the accumulators start at 1e-6, as optax's do",
)


# --- ADOPT (Taniguchi et al. 2024; optax.contrib.adopt) -----------------------------------


def adopt_update(grad: Array, state: MomentsState, params: Array, hp: Hparams):
    """Normalise by the previous v (not including g_t), clip to +-t^(1/4), then average:
    m_t = b1 m + (1-b1) clip(g_t / max(sqrt(v_{t-1}), eps));  v_t = b2 v + (1-b2) g_t^2;
    x_t = x_{t-1} - lr m_t. The first update only initialises v = g_1^2 (no step)."""
    first = state.updates == 0
    b1 = jnp.where(first, 1.0, hp["b1"])
    b2 = jnp.where(first, 0.0, hp["b2"])
    v = b2 * state.v + (1.0 - b2) * grad * grad
    limit = state.updates.astype(jnp.float32) ** 0.25
    normed = jnp.clip(grad / jnp.maximum(jnp.sqrt(state.v), hp["eps"]), -limit, limit)
    m = b1 * state.m + (1.0 - b1) * normed
    return params - hp["lr"] * m, MomentsState(state.updates + 1, m, v)


def adopt_inspect(state: MomentsState, hp: Hparams) -> dict[str, Array]:
    """m (already normalised: the step is lr m), v and the clipping bound t^(1/4)."""
    return {"m": state.m, "v": state.v, "clip_bound": jnp.maximum(state.updates - 1, 0).astype(jnp.float32) ** 0.25}


ADOPT = OptimizerDef(
    name="adopt",
    display_name="ADOPT",
    family="adaptive",
    lineage="Adam normalising by the previous v: converges for any b2",
    description=(
        "ADOPT (Taniguchi et al., 2024) converges for any b2, where Adam can fail (Reddi et al.'s "
        "counterexample): it normalises each gradient by the second moment of the *previous* "
        "steps, so g_t and its own denominator are independent, and applies momentum after "
        "normalising. optax's version clips the normalised gradient to ±t^(1/4)."
    ),
    update_rule=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\,\mathrm{clip}\!\left(\frac{g_t}{\max(\sqrt{v_{t-1}},"
        r"\epsilon)}, \pm t^{1/4}\right) \\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\ x_t = x_{t-1} - "
        r"\eta\, m_t"
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.9, r"\beta_1", "decay rate of the normalised momentum"),
        beta("b2", 0.9999, r"\beta_2", "decay rate of the second moment"),
        eps(1e-6),
    ),
    init=moments_init,
    update=adopt_update,
    inspect=adopt_inspect,
    reference="optax.contrib.adopt",
    semantics="optax's clipping of the normalised gradient to ±t^(1/4)",
    state_labels={
        "clip_bound": ("c_t = t^{1/4}", "clip bound on the normalised gradient"),
    },
)


# --- AdEMAMix (Pagliardini et al. 2024; optax.contrib.ademamix) ---------------------------


class AdemamixState(NamedTuple):
    """A fast and a slow average of the gradient, the second moment, and the cautious mask of
    the last update (ones when cautious is off)."""

    updates: Array
    m1: Array
    m2: Array
    nu: Array
    kept: Array


def ademamix_init(params: Array) -> AdemamixState:
    """Zero averages."""
    zeros = jnp.zeros_like(params)
    return AdemamixState(jnp.zeros([], jnp.int32), zeros, zeros, zeros, jnp.ones_like(params))


def ademamix_update(grad: Array, state: AdemamixState, params: Array, hp: Hparams):
    """m1 = b1 m1 + (1-b1) g (fast), m2 = b3 m2 + (1-b3) g (slow, not bias-corrected),
    nu = b2 nu + (1-b2) g^2;  x_t = x_{t-1} - lr ((m1_hat + alpha m2)/(sqrt(nu_hat) + eps) + wd x).
    With cautious=1 the first term is taken times its cautious mask against g."""
    m1 = hp["b1"] * state.m1 + (1.0 - hp["b1"]) * grad
    m2 = hp["b3"] * state.m2 + (1.0 - hp["b3"]) * grad
    nu = hp["b2"] * state.nu + (1.0 - hp["b2"]) * grad * grad
    count = state.updates + 1
    bc1, bc2 = bias_powers(hp["b1"], hp["b2"], count)
    direction = (m1 / bc1 + hp["alpha"] * m2) / (jnp.sqrt(nu / bc2) + hp["eps"])
    kept = cautious_mask(direction, grad, hp)
    update = with_decay(direction * kept, params, hp)
    return params - hp["lr"] * update, AdemamixState(count, m1, m2, nu, kept)


def ademamix_inspect(state: AdemamixState, hp: Hparams) -> dict[str, Array]:
    """Both averages, the second moment, and with cautious=1 the mask of the last update."""
    return {"m_fast": state.m1, "m_slow": state.m2, "v": state.nu, **cautious_info(state.kept)}


ADEMAMIX = OptimizerDef(
    name="ademamix",
    display_name="AdEMAMix",
    family="adaptive",
    lineage="Adam + a second, very slow momentum",
    description=(
        "AdEMAMix (Pagliardini et al., 2024) mixes two momenta: Adam's fast one and a very slow "
        "one (b3 = 0.9999 remembers ~10,000 steps) weighted by alpha, because old gradients stay "
        "useful far longer than Adam's b1 lets them."
    ),
    update_rule=(
        r"m^{(1)}_t = \beta_1 m^{(1)}_{t-1} + (1-\beta_1) g_t,\ m^{(2)}_t = \beta_3 m^{(2)}_{t-1} + "
        r"(1-\beta_3) g_t \\ x_t = x_{t-1} - \eta\left(\frac{\hat m^{(1)}_t + \alpha m^{(2)}_t}"
        r"{\sqrt{\hat v_t} + \epsilon} + \lambda x_{t-1}\right)" + r" \\ " + CAUTIOUS_RULE
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.9, r"\beta_1", "decay rate of the fast momentum"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment"),
        beta("b3", 0.9999, r"\beta_3", "decay rate of the slow momentum"),
        HParam("alpha", 5.0, 0.0, 100.0, slider=(0.0, 20.0), symbol=r"\alpha", help="weight of the slow momentum"),
        eps(1e-8),
        weight_decay(0.0),
        cautious_flag(),
    ),
    init=ademamix_init,
    update=ademamix_update,
    inspect=ademamix_inspect,
    reference="optax.contrib.ademamix",
    semantics="cautious=1 masks the adaptive term (not the decay) as C-AdamW masks its step",
    state_labels={
        "m_fast": ("m^{(1)}_t", "fast first moment"),
        "m_slow": ("m^{(2)}_t", "slow first moment"),
        **CAUTIOUS_LABELS,
    },
)

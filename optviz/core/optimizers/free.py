"""Learning-rate-free methods (optax.contrib semantics, optax 0.2.x defaults): Schedule-Free
AdamW and Prodigy."""

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

# --- Schedule-Free AdamW (Defazio et al. 2024; optax.contrib.schedule_free_adamw) ---------


class ScheduleFreeState(NamedTuple):
    """z (the base optimizer's iterate), its RMS state nu, the averaging weights, and y, the point
    where the last gradient was taken (kept to be shown)."""

    updates: Array
    z: Array
    nu: Array
    weight_sum: Array
    max_lr: Array
    y: Array


def sf_init(params: Array) -> ScheduleFreeState:
    """z starts at x_0; no weight yet."""
    zero = jnp.zeros([], jnp.float32)
    return ScheduleFreeState(jnp.zeros([], jnp.int32), params, jnp.zeros_like(params), zero, zero, params)


def sf_gradient_point(params: Array, state: ScheduleFreeState, hp: Hparams) -> Array:
    """y_t = b1 x_t + (1 - b1) z_t: where Schedule-Free takes its gradients."""
    return hp["b1"] * params + (1.0 - hp["b1"]) * state.z


def sf_update(grad: Array, state: ScheduleFreeState, params: Array, hp: Hparams):
    """With g taken at y = b1 x + (1-b1) z:  nu = b2 nu + (1-b2) g^2;
    z_{t+1} = z_t - lr (g / (sqrt(nu_hat) + eps) + wd y);  c = lr_max^p / sum of lr_max^p;
    x_{t+1} = (1 - c) x_t + c z_{t+1}. The reported path is x (schedule_free_eval_params)."""
    y = sf_gradient_point(params, state, hp)
    nu = hp["b2"] * state.nu + (1.0 - hp["b2"]) * grad * grad
    count = state.updates + 1
    nu_hat = nu / one_minus_power(hp["b2"], count.astype(jnp.float32))
    z = state.z + (-hp["lr"]) * with_decay(grad / (jnp.sqrt(nu_hat) + hp["eps"]), y, hp)
    max_lr = jnp.maximum(state.max_lr, hp["lr"])
    weight = max_lr ** hp["weight_lr_power"]
    total = state.weight_sum + weight
    c = jnp.nan_to_num(weight / total, nan=0.0)
    x = (1.0 - c) * params + c * z
    return x, ScheduleFreeState(count, z, nu, total, max_lr, y)


def sf_inspect(state: ScheduleFreeState, hp: Hparams) -> dict[str, Array]:
    """y (where the step's gradient was taken), z, the averaging weight c of the step, and nu."""
    weight = state.max_lr ** hp["weight_lr_power"]
    return {"y": state.y, "z": state.z, "nu": state.nu, "c": jnp.nan_to_num(weight / state.weight_sum, nan=0.0)}


SFADAMW = OptimizerDef(
    name="sfadamw",
    display_name="Schedule-Free AdamW",
    family="learning-rate-free",
    lineage="AdamW steps averaged on the fly: no decay schedule",
    description=(
        "Schedule-Free AdamW (Defazio et al., 2024) needs no decay schedule: an Adam-style base "
        "sequence z takes the steps, x is its running (weighted) average, and gradients are "
        "taken at y, between the two. The path drawn is x, the point one evaluates; y is in "
        "its state. optax's warmup_steps is the warmup key here."
    ),
    update_rule=(
        r"y_t = \beta_1 x_t + (1-\beta_1) z_t,\quad g_t = \nabla f(y_t) \\ "
        r"z_{t+1} = z_t - \eta\left(\frac{g_t}{\sqrt{\hat v_t}+\epsilon} + \lambda y_t\right) \\ "
        r"x_{t+1} = (1-c_{t+1})\, x_t + c_{t+1} z_{t+1},\ c_{t+1} = \frac{\eta_{\max}^{p_w}}"
        r"{\sum_{i \le t+1} \eta_{\max}^{p_w}}"
    ),
    hparams=(
        lr(0.0025),
        beta("b1", 0.9, r"\beta_1", "interpolation between x and z for the gradient point"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment"),
        eps(1e-8),
        weight_decay(0.0),
        HParam(
            "weight_lr_power",
            2.0,
            0.0,
            10.0,
            slider=(0.0, 4.0),
            symbol="p_w",
            help="the averaging weight of a step is lr_max to this power",
        ),
    ),
    init=sf_init,
    update=sf_update,
    inspect=sf_inspect,
    reference="optax.contrib.schedule_free_adamw",
    semantics=(
        "the path drawn is x (the point one evaluates, optax's schedule_free_eval_params); gradients are taken at y"
    ),
    gradient_point=sf_gradient_point,
    elementwise=False,  # its averaging weights are one number per run, set by that run's lr
    state_labels={
        "c": ("c_t", "c: averaging weight of the step"),
        "nu": (r"\nu_t", "ν: second moment"),
        "y": ("y_t", "y: where the gradient is taken"),
        "z": ("z_t", "z: the base optimizer's iterate"),
    },
)


# --- Prodigy (Mishchenko & Defazio 2024; optax.contrib.prodigy) ---------------------------


class ProdigyState(NamedTuple):
    """Adam's moments of d g, the weighted sum of past d g, x_0, the estimate d, and the numerator."""

    updates: Array
    exp_avg: Array
    exp_avg_sq: Array
    grad_sum: Array
    params0: Array
    d: Array
    numerator: Array


def prodigy_init(params: Array) -> ProdigyState:
    """d starts at estim_lr0 (the update sets it, as hyperparameters are not known here)."""
    zeros = jnp.zeros_like(params)
    return ProdigyState(
        jnp.zeros([], jnp.int32),
        zeros,
        zeros,
        zeros,
        params,
        jnp.full([], jnp.nan, jnp.float32),
        jnp.zeros([], jnp.float32),
    )


def prodigy_update(grad: Array, state: ProdigyState, params: Array, hp: Hparams):
    """d estimates the distance to the solution, so lr can stay 1:
    dlr = d lr sqrt(1-b2^t)/(1-b1^t);  m = b1 m + (1-b1) d g;  v = b2 v + (1-b2) (d g)^2;
    s = b3 s + dlr d g / d_0 (b3 = sqrt(b2));  r = b3 r + (d/d_0) dlr <g, x_0 - x>;
    d = max(d, coef r / ||s||_1);  x_t = x_{t-1} - wd dlr x - dlr m / (sqrt(v) + d eps)."""
    d0 = hp["estim_lr0"]
    d = jnp.where(state.updates == 0, d0, state.d)
    count = state.updates + 1
    b3 = jnp.sqrt(hp["b2"])
    t = count.astype(jnp.float32)
    bc = jnp.sqrt(one_minus_power(hp["b2"], t)) / one_minus_power(hp["b1"], t)
    dlr = d * hp["lr"] * bc
    dg = d * grad
    numerator_acc = jnp.vdot(grad, state.params0 - params)
    exp_avg = hp["b1"] * state.exp_avg + (1.0 - hp["b1"]) * dg
    exp_avg_sq = hp["b2"] * state.exp_avg_sq + (1.0 - hp["b2"]) * dg * dg
    grad_sum = b3 * state.grad_sum + dlr * dg / d0
    numerator = b3 * state.numerator + (d / d0) * dlr * numerator_acc
    estimate = hp["estim_lr_coef"] * numerator / jnp.sum(jnp.abs(grad_sum))
    new_d = jnp.maximum(d, estimate)
    step = -hp["weight_decay"] * dlr * params - dlr * exp_avg / (jnp.sqrt(exp_avg_sq) + new_d * hp["eps"])
    return params + step, ProdigyState(count, exp_avg, exp_avg_sq, grad_sum, state.params0, new_d, numerator)


def prodigy_inspect(state: ProdigyState, hp: Hparams) -> dict[str, Array]:
    """The step-size estimate d over time, and Adam's moments of d g."""
    return {"d": state.d, "exp_avg": state.exp_avg, "exp_avg_sq": state.exp_avg_sq}


PRODIGY = OptimizerDef(
    name="prodigy",
    display_name="Prodigy",
    family="learning-rate-free",
    lineage="Adam whose lr is estimated from the distance travelled",
    description=(
        "Prodigy (Mishchenko & Defazio, 2024) estimates the learning rate as it goes: d, a lower "
        "bound on the distance from the start to the solution built from <g, x_0 - x>, only "
        "grows, and scales an Adam step. lr stays 1 (a multiplier on d); d starts at estim_lr0."
    ),
    update_rule=(
        r"\eta_t = d_t\, \eta\, \sqrt{1-\beta_2^t}/(1-\beta_1^t) \\ "
        r"d_{t+1} = \max\!\left(d_t,\ \frac{\sum_i \beta_3^{t-i}\, d_i \eta_i \langle g_i, x_0 - x_i\rangle}"
        r"{\lVert \sum_i \beta_3^{t-i} \eta_i d_i g_i \rVert_1}\right) \\ "
        r"x_t = x_{t-1} - \eta_t \frac{m_t}{\sqrt{v_t} + d\,\epsilon}"
    ),
    hparams=(
        lr(1.0, slider=(1e-3, 10.0)),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment (b3 = sqrt(b2))"),
        eps(1e-8),
        HParam(
            "estim_lr0",
            1e-6,
            0.0,
            1.0,
            low_open=True,
            slider=(1e-9, 1e-1),
            log=True,
            symbol="d_0",
            help="the starting estimate of d",
        ),
        HParam(
            "estim_lr_coef",
            1.0,
            0.0,
            100.0,
            low_open=True,
            slider=(0.1, 10.0),
            log=True,
            help="multiplies each new estimate of d",
        ),
        weight_decay(0.0),
    ),
    init=prodigy_init,
    update=prodigy_update,
    inspect=prodigy_inspect,
    reference="optax.contrib.prodigy",
    semantics="beta3 = √b2, optax's default",
    elementwise=False,  # d comes from sums over all of a run's coordinates
    state_labels={
        "d": ("d_t", "d: distance estimate, the step size"),
        "exp_avg": ("m_t", "m: first moment of d·g"),
        "exp_avg_sq": ("v_t", "v: second moment of d·g"),
    },
)

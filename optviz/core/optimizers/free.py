"""Schedule-free methods (optax.contrib semantics, optax 0.2.x defaults): Schedule-Free AdamW and
Schedule-Free SGD."""

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


def _sf_average(state: ScheduleFreeState, params: Array, z: Array, hp: Hparams):
    """c = lr_max^p / (sum of lr_max^p);  x_{t+1} = (1 - c) x_t + c z_{t+1}: (x, weight sum, lr_max)."""
    max_lr = jnp.maximum(state.max_lr, hp["lr"])
    weight = max_lr ** hp["weight_lr_power"]
    total = state.weight_sum + weight
    c = jnp.nan_to_num(weight / total, nan=0.0)
    return (1.0 - c) * params + c * z, total, max_lr


def sf_update(grad: Array, state: ScheduleFreeState, params: Array, hp: Hparams):
    """With g taken at y = b1 x + (1-b1) z:  nu = b2 nu + (1-b2) g^2;
    z_{t+1} = z_t - lr (g / (sqrt(nu_hat) + eps) + wd y);  c = lr_max^p / sum of lr_max^p;
    x_{t+1} = (1 - c) x_t + c z_{t+1}. The reported path is x (schedule_free_eval_params)."""
    y = sf_gradient_point(params, state, hp)
    nu = hp["b2"] * state.nu + (1.0 - hp["b2"]) * grad * grad
    count = state.updates + 1
    nu_hat = nu / one_minus_power(hp["b2"], count.astype(jnp.float32))
    z = state.z + (-hp["lr"]) * with_decay(grad / (jnp.sqrt(nu_hat) + hp["eps"]), y, hp)
    x, total, max_lr = _sf_average(state, params, z, hp)
    return x, ScheduleFreeState(count, z, nu, total, max_lr, y)


def sfsgd_update(grad: Array, state: ScheduleFreeState, params: Array, hp: Hparams):
    """Schedule-Free SGD: as Schedule-Free AdamW with the SGD base step z_{t+1} = z_t - lr (g + wd y)
    (nu stays 0)."""
    y = sf_gradient_point(params, state, hp)
    z = state.z + (-hp["lr"]) * with_decay(grad, y, hp)
    x, total, max_lr = _sf_average(state, params, z, hp)
    return x, ScheduleFreeState(state.updates + 1, z, state.nu, total, max_lr, y)


def sf_inspect(state: ScheduleFreeState, hp: Hparams) -> dict[str, Array]:
    """y (where the step's gradient was taken), z, the averaging weight c of the step, and nu."""
    info = sfsgd_inspect(state, hp)
    return {"y": info["y"], "z": info["z"], "nu": state.nu, "c": info["c"]}


def sfsgd_inspect(state: ScheduleFreeState, hp: Hparams) -> dict[str, Array]:
    """y (where the step's gradient was taken), z and the averaging weight c of the step."""
    weight = state.max_lr ** hp["weight_lr_power"]
    return {"y": state.y, "z": state.z, "c": jnp.nan_to_num(weight / state.weight_sum, nan=0.0)}


SFADAMW = OptimizerDef(
    name="sfadamw",
    display_name="Schedule-Free AdamW",
    family="schedule-free",
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


SFSGD = OptimizerDef(
    name="sfsgd",
    display_name="Schedule-Free SGD",
    family="schedule-free",
    lineage="SGD steps averaged on the fly: no decay schedule",
    description=(
        "Schedule-Free SGD (Defazio et al., 2024) is the same averaging as Schedule-Free AdamW "
        "over a plain SGD base sequence z: x is z's running weighted average, gradients are taken "
        "at y between them, and no decay schedule is needed. The path drawn is x."
    ),
    update_rule=(
        r"y_t = \beta_1 x_t + (1-\beta_1) z_t,\quad g_t = \nabla f(y_t) \\ "
        r"z_{t+1} = z_t - \eta\,(g_t + \lambda y_t) \\ "
        r"x_{t+1} = (1-c_{t+1})\, x_t + c_{t+1} z_{t+1},\ c_{t+1} = \frac{\eta_{\max}^{p_w}}"
        r"{\sum_{i \le t+1} \eta_{\max}^{p_w}}"
    ),
    hparams=(
        lr(1.0, slider=(1e-5, 10.0)),
        beta("b1", 0.9, r"\beta_1", "interpolation between x and z for the gradient point"),
        weight_decay(0.0, help="added to the gradient (times y) in the base step"),
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
    update=sfsgd_update,
    inspect=sfsgd_inspect,
    reference="optax.contrib.schedule_free_sgd",
    semantics=SFADAMW.semantics,
    gradient_point=sf_gradient_point,
    elementwise=False,  # its averaging weights are one number per run, set by that run's lr
    state_labels={k: v for k, v in SFADAMW.state_labels.items() if k != "nu"},
)

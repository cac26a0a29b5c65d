"""Methods that estimate their own step size from the distance travelled (optax.contrib
semantics, optax 0.2.x defaults): Prodigy, DoG and D-Adaptation's AdamW.

Each keeps scalars per run (its estimate), from sums over all of a run's coordinates, so none
is elementwise: a sweep runs them one run per array.
"""

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


def _tiny_start(name: str, symbol: str, help: str) -> HParam:
    """A parameter-free method's first distance or step estimate: 1e-6 by default, in (0, 1], on
    a log slider down to 1e-9 (the methods grow it from there)."""
    return HParam(name, 1e-6, 0.0, 1.0, low_open=True, slider=(1e-9, 1e-1), log=True, symbol=symbol, help=help)


def _estim_lr0() -> HParam:
    """The starting estimate of d (Prodigy's and D-Adaptation's)."""
    return _tiny_start("estim_lr0", "d_0", "the starting estimate of d")


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
    family="parameter-free",
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
        _estim_lr0(),
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


# --- DoG (Ivgi et al. 2023; optax.contrib.dog) ----------------------------------------------


class DogState(NamedTuple):
    """x_0, the largest distance from it so far (r), and the running sum of squared gradient norms."""

    updates: Array
    params0: Array
    max_dist: Array
    sum_sq: Array


def dog_init(params: Array) -> DogState:
    """r is set on the first update, from x_0 and init_step (the hyperparameters are not known here)."""
    zero = jnp.zeros([], jnp.float32)
    return DogState(jnp.zeros([], jnp.int32), params, zero, zero)


def dog_update(grad: Array, state: DogState, params: Array, hp: Hparams):
    """u = g + wd x;  r_t = max(r_{t-1}, ||x_t - x_0||), r_0 = init_step (1 + ||x_0||);
    G_t = G_{t-1} + ||u||^2;  x_{t+1} = x_t - lr (r_t / sqrt(G_t + eps)) u: Distance over
    Gradients, optax's "heuristic" first step."""
    u = with_decay(grad, params, hp)
    r0 = hp["init_step"] * (1.0 + jnp.sqrt(jnp.sum(state.params0 * state.params0)))
    start = jnp.where(state.updates == 0, r0, state.max_dist)
    moved = state.params0 - params
    max_dist = jnp.maximum(start, jnp.sqrt(jnp.sum(moved * moved)))
    sum_sq = state.sum_sq + jnp.sum(u * u)
    eta = max_dist / jnp.sqrt(sum_sq + hp["eps"])
    return params - hp["lr"] * (eta * u), DogState(state.updates + 1, state.params0, max_dist, sum_sq)


def dog_inspect(state: DogState, hp: Hparams) -> dict[str, Array]:
    """The step size r / sqrt(G) over time, and its two parts."""
    return {
        "eta_dog": state.max_dist / jnp.sqrt(state.sum_sq + hp["eps"]),
        "max_dist": state.max_dist,
        "sum_sq": state.sum_sq,
    }


DOG = OptimizerDef(
    name="dog",
    display_name="DoG",
    family="parameter-free",
    lineage="SGD whose step is the distance travelled over the gradients' total size",
    description=(
        "DoG (Ivgi, Hinder & Carmon, 2023, Distance over Gradients) is SGD with no learning "
        "rate to tune: its step is the largest distance from the start so far divided by the "
        "root of the summed squared gradient norms. It starts tiny (init_step (1 + ||x_0||)) "
        "and grows as the path leaves the start. lr stays 1 (a multiplier)."
    ),
    update_rule=(
        r"r_t = \max\!\left(r_{t-1}, \lVert x_t - x_0\rVert\right),\quad r_0 = s_0 (1 + \lVert x_0\rVert) \\ "
        r"G_t = G_{t-1} + \lVert g_t\rVert^2,\quad x_{t+1} = x_t - \eta\, \frac{r_t}{\sqrt{G_t + \epsilon}}\, g_t"
    ),
    hparams=(
        lr(1.0, slider=(1e-3, 10.0)),
        _tiny_start("init_step", "s_0", "the first distance, relative to 1 + ||x_0||"),
        eps(1e-8),
        weight_decay(0.0, help="added to the gradient (times x)"),
    ),
    init=dog_init,
    update=dog_update,
    inspect=dog_inspect,
    reference="optax.contrib.dog",
    semantics=(
        'init_step is optax\'s ("heuristic", value) form; at init_step = 1e-6 its first steps are a '
        "few float32 spacings of the point, so float32 runs part from float64 by a few percent "
        "after ~40 steps (they follow optax in float32)"
    ),
    elementwise=False,  # r and G are one number per run
    state_labels={
        "eta_dog": (r"r_t/\sqrt{G_t}", "DoG's step size"),
        "max_dist": ("r_t", "r: largest distance from the start"),
        "sum_sq": ("G_t", "G: sum of squared gradient norms"),
    },
    network_settings={"init_step": 0.1},
)


# --- D-Adaptation AdamW (Defazio & Mishchenko 2023; optax.contrib.dadapt_adamw) ---------------


class DadaptState(NamedTuple):
    """Adam's moments (m of d-scaled gradients), the weighted gradient sum s, d and its numerator."""

    updates: Array
    exp_avg: Array
    exp_avg_sq: Array
    grad_sum: Array
    d: Array
    numerator: Array


def dadapt_init(params: Array) -> DadaptState:
    """d starts at estim_lr0 (set on the first update, as the hyperparameters are not known here)."""
    zeros = jnp.zeros_like(params)
    zero = jnp.zeros([], jnp.float32)
    return DadaptState(jnp.zeros([], jnp.int32), zeros, zeros, zeros, zero, zero)


def dadapt_update(grad: Array, state: DadaptState, params: Array, hp: Hparams):
    """dlr = d lr sqrt(1-b2^t)/(1-b1^t);  r = sb2 r + (1-sb2) dlr <g, s/(sqrt(v)+eps)> (old s, v);
    m = b1 m + (1-b1) dlr g;  v = b2 v + (1-b2) g^2;  s = sb2 s + (1-sb2) dlr g  (sb2 = sqrt(b2));
    d = max(d, r / ((1-sb2) ||s||_1));  x_t = x_{t-1} - wd dlr x - m / (sqrt(v) + eps)."""
    b1, b2 = hp["b1"], hp["b2"]
    sb2 = jnp.sqrt(b2)
    d = jnp.where(state.updates == 0, hp["estim_lr0"], state.d)
    count = state.updates + 1
    t = count.astype(jnp.float32)
    dlr = d * hp["lr"] * (jnp.sqrt(one_minus_power(b2, t)) / one_minus_power(b1, t))
    accumulated = jnp.vdot(grad, state.grad_sum / (jnp.sqrt(state.exp_avg_sq) + hp["eps"]))
    exp_avg = b1 * state.exp_avg + (1.0 - b1) * dlr * grad
    exp_avg_sq = b2 * state.exp_avg_sq + (1.0 - b2) * grad * grad
    grad_sum = sb2 * state.grad_sum + (1.0 - sb2) * dlr * grad
    numerator = sb2 * state.numerator + (1.0 - sb2) * dlr * accumulated
    new_d = jnp.maximum(d, numerator / ((1.0 - sb2) * jnp.sum(jnp.abs(grad_sum))))
    step = -hp["weight_decay"] * dlr * params - exp_avg / (jnp.sqrt(exp_avg_sq) + hp["eps"])
    return params + step, DadaptState(count, exp_avg, exp_avg_sq, grad_sum, new_d, numerator)


def dadapt_inspect(state: DadaptState, hp: Hparams) -> dict[str, Array]:
    """The step-size estimate d over time, and Adam's moments."""
    return {"d": state.d, "exp_avg": state.exp_avg, "exp_avg_sq": state.exp_avg_sq}


DADAPT_ADAMW = OptimizerDef(
    name="dadapt_adamw",
    display_name="D-Adapt AdamW",
    family="parameter-free",
    lineage="AdamW whose lr is a lower bound on the distance to the solution",
    description=(
        "D-Adaptation (Defazio & Mishchenko, 2023) estimates d, a lower bound on the distance "
        "from the start to the solution, from the gradients seen so far; d only grows and is "
        "AdamW's learning rate. Prodigy is its successor, with a faster-growing estimate. lr "
        "stays 1 (a multiplier on d)."
    ),
    update_rule=(
        r"\eta_t = d_t\, \eta\, \sqrt{1-\beta_2^t}/(1-\beta_1^t),\quad m_t = \beta_1 m_{t-1} + (1-\beta_1)"
        r"\eta_t g_t \\ s_t = \sqrt{\beta_2} s_{t-1} + (1-\sqrt{\beta_2})\eta_t g_t,\quad "
        r"d_{t+1} = \max\!\left(d_t, \frac{r_t}{(1-\sqrt{\beta_2})\lVert s_t\rVert_1}\right) \\ "
        r"x_t = x_{t-1} - \lambda \eta_t x_{t-1} - \frac{m_t}{\sqrt{v_t} + \epsilon}"
    ),
    hparams=(
        lr(1.0, slider=(1e-3, 10.0)),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment (√b2 for s and r)"),
        eps(1e-8),
        _estim_lr0(),
        weight_decay(0.0),
    ),
    init=dadapt_init,
    update=dadapt_update,
    inspect=dadapt_inspect,
    reference="optax.contrib.dadapt_adamw",
    elementwise=False,  # d comes from sums over all of a run's coordinates
    state_labels={
        "d": ("d_t", "d: distance estimate, the step size"),
        "exp_avg": ("m_t", "m: first moment of d·g"),
        "exp_avg_sq": ("v_t", "v: second moment of g"),
    },
)

"""SWATS: switch from Adam to SGD (Keskar & Socher, 2017, Algorithm 1)."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from optviz.core.optimizers.base import Array, Hparams, OptimizerDef, beta, bias_powers, eps, lr


class SwatsState(NamedTuple):
    """Adam's moments, the projected-learning-rate average and the SGD phase's buffer.

    ``switched_at`` is 0 while in the Adam phase, else the step k whose Adam update met the
    switching criterion (steps k+1, k+2, ... are SGD steps).
    """

    updates: Array
    m: Array
    a: Array
    lam: Array  # EMA of the projected learning rate gamma
    gamma: Array  # the latest gamma
    sgd_lr: Array  # Lambda, fixed at the switch
    buf: Array  # SGD momentum buffer v
    switched_at: Array


def swats_init(params: Array) -> SwatsState:
    """Initial SWATS state: the Adam phase."""
    zeros = jnp.zeros_like(params)
    # Per-run scalars: shape () for one parameter vector, [runs] for a batch laid out [d, runs].
    zero = jnp.zeros(jnp.shape(params)[1:], jnp.float32)
    return SwatsState(
        jnp.zeros([], jnp.int32), zeros, zeros, zero, zero, zero, zeros, jnp.zeros(jnp.shape(params)[1:], jnp.int32)
    )


def swats_update(grad: Array, state: SwatsState, params: Array, hp: Hparams):
    """Algorithm 1 of Keskar & Socher (2017), with one epsilon for both of its uses.

    Adam phase:  m = b1 m + (1-b1) g;  a = b2 a + (1-b2) g^2;
                 p = -lr sqrt(1-b2^k)/(1-b1^k) m/(sqrt(a) + eps);  x = x + p;
                 if p.g != 0: gamma = p.p / (-p.g);  lam = b2 lam + (1-b2) gamma;
                     if k > 1 and |lam/(1-b2^k) - gamma| < eps: switch, Lambda = lam/(1-b2^k).
    SGD phase:   v = b1 v + g;  x = x - (1-b1) Lambda v.
    """
    b1, b2 = hp["b1"], hp["b2"]
    count = state.updates + 1
    in_sgd = state.switched_at > 0

    # SGD-phase candidate.
    buf = b1 * state.buf + grad
    x_sgd = params - (1.0 - b1) * state.sgd_lr * buf

    # Adam-phase candidate.
    m = b1 * state.m + (1.0 - b1) * grad
    a = b2 * state.a + (1.0 - b2) * grad * grad
    bc1, bc2 = bias_powers(b1, b2, count)
    p = -hp["lr"] * jnp.sqrt(bc2) / bc1 * (m / (jnp.sqrt(a) + hp["eps"]))
    x_adam = params + p
    # Dot products over the parameter axis (axis 0), so a batch [d, runs] gets one per run.
    pg = jnp.sum(p * grad, axis=0)
    has_projection = pg != 0.0
    gamma = jnp.where(has_projection, jnp.sum(p * p, axis=0) / jnp.where(has_projection, -pg, 1.0), state.gamma)
    lam = jnp.where(has_projection, b2 * state.lam + (1.0 - b2) * gamma, state.lam)
    settled = has_projection & (count > 1) & (jnp.abs(lam / bc2 - gamma) < hp["eps"])

    adam_state = SwatsState(
        count,
        m,
        a,
        lam,
        gamma,
        jnp.where(settled, lam / bc2, state.sgd_lr),
        jnp.zeros_like(buf),
        jnp.where(settled, count, 0).astype(jnp.int32),
    )
    sgd_state = state._replace(updates=count, buf=buf)
    new_state = _select(in_sgd, sgd_state, adam_state)
    return jnp.where(in_sgd, x_sgd, x_adam), new_state


def _select(pred: Array, a: SwatsState, b: SwatsState) -> SwatsState:
    # The step count is shared (and equal in both); every other field is chosen per run.
    return SwatsState(a.updates, *(jnp.where(pred, x, y) for x, y in zip(a[1:], b[1:])))


def swats_inspect(state: SwatsState, hp: Hparams) -> dict[str, Array]:
    """Adam's moments, the projected learning rate (raw and averaged) and the phase."""
    _, bc2 = bias_powers(hp["b1"], hp["b2"], state.updates)
    return {
        "m": state.m,
        "v": state.a,
        "gamma": state.gamma,
        "lambda_hat": state.lam / bc2,
        "sgd_lr": state.sgd_lr,
        "phase_sgd": (state.switched_at > 0).astype(jnp.float32),
        "switched_at": state.switched_at,
    }


SWATS = OptimizerDef(
    name="swats",
    display_name="SWATS",
    family="adaptive",
    lineage="Adam that switches to SGD once its steps settle",
    description=(
        'SWATS (Keskar & Socher, 2017, "Improving Generalization Performance by Switching '
        "from Adam to SGD\") starts as Adam and, at every step, projects Adam's step onto the "
        "gradient to find the SGD learning rate that would have taken the same step. Once the "
        "bias-corrected average of that projected rate agrees with its latest value to within "
        "eps, it switches for good to SGD with momentum at that rate. The switch step is "
        "reported."
    ),
    update_rule=(
        r"\text{Adam phase: } p_t = -\eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m_t}{\sqrt{a_t}+\epsilon},"
        r"\quad x_t = x_{t-1} + p_t \\ "
        r"\gamma_t = \frac{p_t^\top p_t}{-p_t^\top g_t}, \quad "
        r"\lambda_t = \beta_2\lambda_{t-1} + (1-\beta_2)\gamma_t \\ "
        r"\text{switch when } \left|\frac{\lambda_t}{1-\beta_2^t} - \gamma_t\right| < \epsilon,"
        r"\quad \Lambda = \frac{\lambda_t}{1-\beta_2^t} \\ "
        r"\text{SGD phase: } v_t = \beta_1 v_{t-1} + g_t, \quad x_t = x_{t-1} - (1-\beta_1)\Lambda\, v_t"
    ),
    hparams=(
        lr(0.001),
        beta("b1", 0.9, r"\beta_1", "decay rate of the first moment, and the SGD phase's momentum"),
        beta("b2", 0.999, r"\beta_2", "decay rate of the second moment and of the projected rate"),
        eps(1e-9),
    ),
    init=swats_init,
    update=swats_update,
    inspect=swats_inspect,
    state_labels={
        "gamma": (r"\gamma_t", "γ: projected SGD learning rate"),
        "lambda_hat": (r"\lambda_t/(1-\beta_2^t)", "λ/(1-β2^t): its bias-corrected average"),
        "sgd_lr": (r"\Lambda", "Λ: SGD rate after the switch"),
        "phase_sgd": (r"\text{SGD phase}", "phase (0 Adam, 1 SGD)"),
        "switched_at": (r"t_{\text{switch}}", "the step of the switch to SGD"),
    },
    reference="Keskar & Socher 2017, Algorithm 1",
    semantics=(
        "Algorithm 1 literally: one eps serves both Adam's denominator (√a + eps, with the paper's "
        "√(1−β2^k)/(1−β1^k) factor) and the switching test |λ/(1−β2^k) − γ| < eps; the switch step k is the "
        "last Adam step, and SGD with momentum (v = β1 v + g, x −= (1−β1) Λ v) takes over from k+1. The test "
        "is in float32, so with the default eps = 1e-9 it rarely fires on a 2D surface; eps = 1e-5 makes it "
        "switch early"
    ),
)

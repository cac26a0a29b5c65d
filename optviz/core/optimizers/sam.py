"""SAM, sharpness-aware minimisation (Foret et al. 2021), as optax.contrib.sam runs it in opaque
mode with the paper's drop-in pair: an ascent step of normalised SGD with step rho, then the
inner optimizer (SGD with momentum, optax.sgd) stepping from the original point with the
gradient taken at the ascent point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, cast

import jax.numpy as jnp

from optviz.core.optimizers.base import Array, HParam, Hparams, OptimizerDef, lr, momentum


class SamState(NamedTuple):
    """The inner SGD's momentum, and the last ascent point (where the step's gradient was taken)."""

    updates: Array
    trace: Array
    ascent: Array


def sam_init(params: Array) -> SamState:
    """Zero momentum; no ascent yet (the start)."""
    return SamState(jnp.zeros([], jnp.int32), jnp.zeros_like(params), params)


def ascent_point(grad: Array, params: Array, rho: Array) -> Array:
    """x + rho g / ||g||, the norm over one run's coordinates (axis 0); x itself where g = 0
    (optax divides by the norm unguarded, which gives NaN there)."""
    norm = jnp.sqrt(jnp.sum(grad * grad, axis=0))
    return jnp.where(norm > 0.0, params + rho * (grad / jnp.where(norm > 0.0, norm, 1.0)), params)


def sam_update(grad: Array, state: SamState, params: Array, hp: Hparams):
    """a_t = x_t + rho g_t / ||g_t||;  g^SAM_t = grad f(a_t);  f_t = mu f_{t-1} + g^SAM_t;
    x_{t+1} = x_t - lr f_t  (the objective is evaluated at a_t: hp["objective"])."""
    ascent = ascent_point(grad, params, hp["rho"])
    # The step protocol hands the objective over among the values (optviz.core.optimizers.step).
    objective = cast(Callable[[Array], tuple[Array, Array]], hp["objective"])
    _, sharp_grad = objective(ascent)
    trace = sharp_grad + hp["momentum"] * state.trace
    return params - hp["lr"] * trace, SamState(state.updates + 1, trace, ascent)


def sam_inspect(state: SamState, hp: Hparams) -> dict[str, Array]:
    """The ascent point and the inner momentum."""
    return {"ascent": state.ascent, "buf": state.trace}


SAM = OptimizerDef(
    name="sam",
    display_name="SAM",
    family="flat minima",
    lineage="SGD with the gradient taken at the worst nearby point",
    description=(
        "SAM (Foret et al., 2021, Sharpness-Aware Minimization) seeks minima whose whole "
        "neighbourhood is low: each step first climbs rho along the normalised gradient, takes "
        "the gradient there, and steps from the original point with it. Sharp valleys push it "
        "out; flat ones hold it. It costs two gradients a step. The ascent points are drawn "
        "beside the path."
    ),
    update_rule=(
        r"a_t = x_t + \rho\, \frac{g_t}{\lVert g_t\rVert} \\ "
        r"f_t = \mu f_{t-1} + \nabla f(a_t),\quad x_{t+1} = x_t - \eta\, f_t"
    ),
    hparams=(
        lr(0.01),
        HParam(
            "rho",
            0.05,
            0.0,
            10.0,
            slider=(0.0, 1.0),
            symbol=r"\rho",
            help="radius of the ascent step (0: plain SGD)",
        ),
        momentum(0.0),
    ),
    init=sam_init,
    update=sam_update,
    inspect=sam_inspect,
    reference="optax.contrib.sam (opaque_mode, sync_period=2; adv_optimizer normalize + sgd(rho))",
    semantics=(
        "the inner optimizer is optax.sgd with the momentum key (0: plain SGD); where g = 0 the "
        "ascent point is x itself; with gradient noise on a surface, the ascent gradient is exact"
    ),
    needs_objective=True,
    state_labels={"ascent": ("a_t", "a: the ascent point, where the gradient is taken")},
    network_settings={"lr": 0.3},
)

"""L-BFGS as torch.optim.LBFGS runs it with max_iter=1: one two-loop iteration per update.

torch's ``step()`` runs up to max_iter inner iterations; one update here is one of them, with
the state (direction, step, curvature pairs) carried from update to update exactly as torch
carries it from one ``step()`` call to the next with max_iter=1. No line search by default
(torch's default); ``line_search=1`` is torch's ``line_search_fn="strong_wolfe"`` with
``max_eval`` evaluations per update. The history holds at most MAX_LBFGS_HISTORY pairs (torch's
default is 100; a 2D problem has no use for more than a few).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from optviz.core.limits import MAX_LBFGS_HISTORY
from optviz.core.optimizers.base import Array, HParam, Hparams, OptimizerDef, lr
from optviz.core.optimizers.linesearch import strong_wolfe

TOLERANCE_GRAD = 1e-7  # torch's defaults
TOLERANCE_CHANGE = 1e-9


class LbfgsState(NamedTuple):
    """The last direction d and step t, the last gradient, the curvature pairs (oldest first,
    the newest ``stored`` valid at the end), their 1/(y.s), and the initial Hessian scale."""

    updates: Array
    d: Array
    t: Array
    prev_grad: Array
    old_dirs: Array  # y = g_k - g_{k-1}  [MAX_LBFGS_HISTORY, ...]
    old_stps: Array  # s = t d            [MAX_LBFGS_HISTORY, ...]
    ro: Array  # [MAX_LBFGS_HISTORY]
    stored: Array
    h_diag: Array


def lbfgs_init(params: Array) -> LbfgsState:
    """No pairs yet."""
    zeros = jnp.zeros_like(params)
    hist = jnp.zeros((MAX_LBFGS_HISTORY,) + params.shape, params.dtype)
    scalar = jnp.zeros([], jnp.float32)
    return LbfgsState(
        jnp.zeros([], jnp.int32),
        zeros,
        scalar,
        zeros,
        hist,
        hist,
        jnp.zeros(MAX_LBFGS_HISTORY),
        scalar,
        jnp.ones([], jnp.float32),
    )


def _push(state: LbfgsState, y: Array, s: Array, ys: Array, limit: Array) -> LbfgsState:
    """Append the pair (oldest dropped when ``limit`` pairs are stored), as torch's lists do."""
    dirs = jnp.roll(state.old_dirs, -1, axis=0).at[-1].set(y)
    stps = jnp.roll(state.old_stps, -1, axis=0).at[-1].set(s)
    ro = jnp.roll(state.ro, -1).at[-1].set(1.0 / ys)
    stored = jnp.minimum(state.stored + 1.0, limit)
    return state._replace(old_dirs=dirs, old_stps=stps, ro=ro, stored=stored, h_diag=ys / jnp.vdot(y, y))


def _two_loop(grad: Array, state: LbfgsState) -> Array:
    """d = -H g by the two-loop recursion over the stored pairs (newest first, then oldest first)."""
    valid = jnp.arange(MAX_LBFGS_HISTORY) >= MAX_LBFGS_HISTORY - state.stored

    def backward(j, carry):
        q, al = carry
        i = MAX_LBFGS_HISTORY - 1 - j
        a = jnp.where(valid[i], jnp.vdot(state.old_stps[i], q) * state.ro[i], 0.0)
        return q - a * state.old_dirs[i], al.at[i].set(a)

    q, al = jax.lax.fori_loop(0, MAX_LBFGS_HISTORY, backward, (-grad, jnp.zeros(MAX_LBFGS_HISTORY)))
    r = q * state.h_diag

    def forward(i, r):
        be = jnp.vdot(state.old_dirs[i], r) * state.ro[i]
        return jnp.where(valid[i], r + (al[i] - be) * state.old_stps[i], r)

    return jax.lax.fori_loop(0, MAX_LBFGS_HISTORY, forward, r)


def lbfgs_update(grad: Array, state: LbfgsState, params: Array, hp: Hparams):
    """First update: d = -g, t = min(1, 1/||g||_1) lr. Then y = g - g_prev, s = t d; the pair is
    kept when y.s > 1e-10 (with H_0 = y.s / y.y); d = -H g by the two-loop recursion; t = lr.
    x_t = x_{t-1} + t d, unless max|g| <= 1e-7 or g.d > -1e-9 (no step, as torch). With
    line_search, t is where torch's strong-Wolfe search from that t ends (t = 0: no decrease found)."""
    old, first = state, state.updates == 0
    y = grad - state.prev_grad
    s = state.d * state.t
    ys = jnp.vdot(y, s)
    limit = jnp.clip(jnp.round(hp["history_size"]), 1.0, MAX_LBFGS_HISTORY)
    pushed = _push(state, y, s, jnp.where(ys > 1e-10, ys, 1.0), limit)
    keep = (~first) & (ys > 1e-10)
    state = jax.tree.map(lambda a, b: jnp.where(keep, a, b), pushed, state)
    d = jnp.where(first, -grad, _two_loop(grad, state))
    t = jnp.where(first, jnp.minimum(1.0, 1.0 / jnp.sum(jnp.abs(grad))) * hp["lr"], hp["lr"])
    new_state = state._replace(updates=state.updates + 1, d=d, t=jnp.asarray(t, jnp.float32), prev_grad=grad)
    # torch returns at once when the gradient is already tiny (nothing changes), and takes no
    # step when d is not a descent direction (the state is kept)
    converged = jnp.max(jnp.abs(grad)) <= TOLERANCE_GRAD
    gtd = jnp.vdot(grad, d)
    move = ~converged & (gtd <= -TOLERANCE_CHANGE)
    t = jax.lax.cond(hp["line_search"] > 0.5, lambda: _searched(grad, params, d, t, gtd, move, hp), lambda: t)
    new_state = new_state._replace(t=jnp.asarray(t, jnp.float32))
    new_state = jax.tree.map(lambda a, b: jnp.where(converged, a, b), old, new_state)
    return jnp.where(move, params + t * d, params), new_state


def _searched(grad, params, d, t, gtd, move, hp) -> Array:
    """The step length torch's strong-Wolfe search settles on (t itself where no step is taken)."""
    objective = hp["objective"]
    loss = objective(params)[0]
    max_ls = jnp.round(hp["max_eval"]).astype(jnp.int32) - 1  # torch: max_eval - the closure's own call
    searched = strong_wolfe(
        objective, params, t, jnp.where(move, d, 0.0), loss, grad, jnp.where(move, gtd, -1.0), max_ls
    )[2]
    return jnp.where(move, searched, t)


def lbfgs_inspect(state: LbfgsState, hp: Hparams) -> dict[str, Array]:
    """The direction, the step length and how many curvature pairs it rests on."""
    return {"direction": state.d, "t": state.t, "pairs": state.stored}


LBFGS = OptimizerDef(
    name="lbfgs",
    display_name="L-BFGS",
    family="curvature",
    lineage="Newton's step with the inverse Hessian rebuilt from recent gradient changes",
    description=(
        "L-BFGS (Liu & Nocedal, 1989) builds an inverse-Hessian approximation from the last few "
        "pairs of steps and gradient changes and steps along -H g: quasi-Newton speed from "
        "gradients alone. Run as torch.optim.LBFGS with max_iter=1, so each update is one of its "
        "iterations; lr is the step length, or with line_search=1 the first trial of a "
        "strong-Wolfe line search."
    ),
    update_rule=(
        r"s_k = x_k - x_{k-1},\ y_k = g_k - g_{k-1},\ \rho_k = 1/(y_k^\top s_k) \\ "
        r"d_t = -H_t g_t \text{ (two-loop recursion over the last } m \text{ pairs, } "
        r"H_0 = \tfrac{y^\top s}{y^\top y} I) \\ x_t = x_{t-1} + \eta\, d_t"
    ),
    hparams=(
        lr(1.0, slider=(1e-3, 1.0)),
        HParam(
            "history_size",
            10.0,
            1.0,
            float(MAX_LBFGS_HISTORY),
            kind="int",
            slider=(1.0, float(MAX_LBFGS_HISTORY)),
            help=f"curvature pairs kept (at most {MAX_LBFGS_HISTORY}; torch's default is 100)",
        ),
        HParam(
            "line_search",
            0.0,
            0.0,
            1.0,
            kind="flag",
            help="torch's strong-Wolfe line search (line_search_fn='strong_wolfe'): lr is its first trial",
        ),
        HParam(
            "max_eval",
            25.0,
            1.0,
            100.0,
            kind="int",
            slider=(1.0, 50.0),
            help="loss evaluations per update with the line search (torch: max_eval; its default for "
            "max_iter=1 is 1, which only accepts or refuses the first trial)",
        ),
    ),
    init=lbfgs_init,
    update=lbfgs_update,
    inspect=lbfgs_inspect,
    reference="torch.optim.LBFGS(max_iter=1)",
    semantics=(
        "one of torch's iterations per update; at most 20 curvature pairs (torch allows 100); line_search=1 "
        'is line_search_fn="strong_wolfe" with max_eval loss evaluations per update (torch\'s own default for '
        "max_iter=1 is 1, which only accepts or refuses the first trial)"
    ),
    elementwise=False,
    needs_objective=True,
    state_labels={
        "direction": ("d_t", "d: search direction"),
        "t": (r"\alpha_t", "step length"),
        "pairs": ("k", "curvature pairs stored"),
    },
)

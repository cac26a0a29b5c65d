"""torch.optim.LBFGS's strong-Wolfe line search (``_strong_wolfe``), as one ``lax.while_loop``.

torch writes it as two Python loops: extrapolate until the step is bracketed (or the Wolfe
conditions hold), then zoom into the bracket by cubic interpolation. Here both are phases of
one loop whose every iteration makes at most one evaluation of ``objective`` (loss and
gradient at x + t d), with the same decisions in the same order, so the same steps are tried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from optviz.core.optimizers.base import Array

C1, C2, TOLERANCE_CHANGE = 1e-4, 0.9, 1e-9  # torch's defaults
BRACKETING, ZOOMING, FINISHED = 0, 1, 2


def cubic_interpolate(x1, f1, g1, x2, f2, g2, lo=None, hi=None):
    """torch's _cubic_interpolate: the minimiser of the cubic through two points with their
    slopes, clamped to [lo, hi] (default: between the points); their midpoint if it has none."""
    lo = jnp.minimum(x1, x2) if lo is None else lo
    hi = jnp.maximum(x1, x2) if hi is None else hi
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    d2 = jnp.sqrt(jnp.maximum(d2_square, 0.0))
    left = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
    right = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
    min_pos = jnp.where(x1 <= x2, left, right)
    return jnp.where(d2_square >= 0.0, jnp.clip(min_pos, lo, hi), (lo + hi) / 2.0)


class Search(NamedTuple):
    """The loop's carry: the latest trial (t, f, g, g.d), the previous one, the bracket (two
    ends, each with f, g and g.d), which end is lower, and the counters."""

    phase: Array
    t: Array
    f_new: Array
    g_new: Array
    gtd_new: Array
    t_prev: Array
    f_prev: Array
    g_prev: Array
    gtd_prev: Array
    b: Array  # [2]
    bf: Array  # [2]
    bg: Array  # [2, n]
    bgtd: Array  # [2]
    low: Array
    insuf: Array
    ls_iter: Array
    evals: Array


def _pair(a, b):
    return jnp.stack([jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)])


def _classify(s: Search, f, g, gtd, max_ls) -> Search:
    """The head of torch's first loop: bracket found, Wolfe conditions met, or keep extrapolating;
    with no evaluations left, the bracket is [0, t]."""
    armijo_fails = (s.f_new > f + C1 * s.t * gtd) | ((s.ls_iter > 1) & (s.f_new >= s.f_prev))
    wolfe = jnp.abs(s.gtd_new) <= -C2 * gtd
    bracket = armijo_fails | (~wolfe & (s.gtd_new >= 0.0))
    spent = s.ls_iter >= max_ls
    to_prev = _replace_bracket(s, s.t_prev, s.f_prev, s.g_prev, s.gtd_prev)
    to_t = _replace_bracket(s, s.t, s.f_new, s.g_new, s.gtd_new)
    zero = _replace_bracket(s, 0.0, f, g, gtd)
    out = jax.tree.map(
        lambda a, b, c, d: jnp.where(spent, a, jnp.where(bracket, b, jnp.where(wolfe, c, d))), zero, to_prev, to_t, s
    )
    phase = jnp.where(spent | (~bracket & wolfe), FINISHED, jnp.where(bracket, ZOOMING, BRACKETING))
    return out._replace(phase=phase, low=jnp.where(out.bf[0] <= out.bf[1], 0, 1))


def _replace_bracket(s: Search, t0, f0, g0, gtd0) -> Search:
    """The bracket [(t0, f0, g0, gtd0), (t, f_new, g_new, gtd_new)]."""
    return s._replace(b=_pair(t0, s.t), bf=_pair(f0, s.f_new), bg=jnp.stack([g0, s.g_new]), bgtd=_pair(gtd0, s.gtd_new))


def _extrapolate(s: Search, objective, x, d, f, g, gtd, max_ls) -> Search:
    """torch's first loop body: a longer step by cubic extrapolation, then classify it."""
    t = cubic_interpolate(
        s.t_prev, s.f_prev, s.gtd_prev, s.t, s.f_new, s.gtd_new, s.t + 0.01 * (s.t - s.t_prev), s.t * 10.0
    )
    f_new, g_new = objective(x + t * d)
    s = s._replace(
        t=t,
        f_new=f_new,
        g_new=g_new,
        gtd_new=jnp.vdot(g_new, d),
        t_prev=s.t,
        f_prev=s.f_new,
        g_prev=s.g_new,
        gtd_prev=s.gtd_new,
        ls_iter=s.ls_iter + 1,
        evals=s.evals + 1,
    )
    return _classify(s, f, g, gtd, max_ls)


def _zoom(s: Search, objective, x, d, f, gtd, max_ls, d_norm) -> Search:
    """torch's second loop body: a trial inside the bracket (kept off its ends), which replaces
    one end; finished when the Wolfe conditions hold, the bracket is tiny or evaluations run out."""
    lo_b, hi_b = jnp.min(s.b), jnp.max(s.b)
    tiny = jnp.abs(s.b[1] - s.b[0]) * d_norm < TOLERANCE_CHANGE
    t = cubic_interpolate(s.b[0], s.bf[0], s.bgtd[0], s.b[1], s.bf[1], s.bgtd[1])
    eps = 0.1 * (hi_b - lo_b)
    near_end = jnp.minimum(hi_b - t, t - lo_b) < eps
    pushed = s.insuf | (t >= hi_b) | (t <= lo_b)
    moved = jnp.where(jnp.abs(t - hi_b) < jnp.abs(t - lo_b), hi_b - eps, lo_b + eps)
    t = jnp.where(near_end & pushed, moved, t)
    insuf = near_end & ~pushed
    f_new, g_new = jax.lax.cond(tiny, lambda: (s.f_new, s.g_new), lambda: objective(x + t * d))
    gtd_new = jnp.vdot(g_new, d)
    low, high = s.low, 1 - s.low
    worse = (f_new > f + C1 * t * gtd) | (f_new >= s.bf[low])
    wolfe = ~worse & (jnp.abs(gtd_new) <= -C2 * gtd)
    flip = ~worse & ~wolfe & (gtd_new * (s.b[high] - s.b[low]) >= 0.0)
    new = (t, f_new, g_new, gtd_new)
    b, bf, bg, bgtd = s.b, s.bf, s.bg, s.bgtd
    # worse: the high end becomes the trial; otherwise (after an optional flip of high to low) the low end
    at_high = [a.at[high].set(v) for a, v in zip((b, bf, bg, bgtd), new)]
    flipped = [jnp.where(flip, a.at[high].set(a[low]), a) for a in (b, bf, bg, bgtd)]
    at_low = [a.at[low].set(v) for a, v in zip(flipped, new)]
    b, bf, bg, bgtd = [jnp.where(worse, h, lw) for h, lw in zip(at_high, at_low)]
    low = jnp.where(worse, jnp.where(bf[0] <= bf[1], 0, 1), low)
    done = wolfe | (s.ls_iter + 1 >= max_ls)
    zoomed = s._replace(
        t=t,
        f_new=f_new,
        g_new=g_new,
        gtd_new=gtd_new,
        b=b,
        bf=bf,
        bg=bg,
        bgtd=bgtd,
        low=low,
        insuf=insuf,
        ls_iter=s.ls_iter + 1,
        evals=s.evals + 1,
        phase=jnp.where(done, FINISHED, ZOOMING),
    )
    return jax.tree.map(lambda a, b: jnp.where(tiny, a, b), s._replace(phase=jnp.asarray(FINISHED)), zoomed)


def strong_wolfe(
    objective: Callable[[Array], tuple[Array, Array]],
    x: Array,
    t: Array,
    d: Array,
    f: Array,
    g: Array,
    gtd: Array,
    max_ls: Array,
) -> tuple[Array, Array, Array, Array]:
    """(f, g, t, evaluations) at the step t along d that torch's _strong_wolfe returns, from x
    with loss f, gradient g and slope gtd = g.d; at most ``max_ls`` evaluations after the first."""
    d_norm = jnp.max(jnp.abs(d))
    f_new, g_new = objective(x + t * d)
    zero = jnp.zeros([], jnp.int32)
    f32 = lambda v: jnp.asarray(v, jnp.float32)
    s = Search(
        jnp.asarray(BRACKETING),
        f32(t),
        f32(f_new),
        g_new,
        jnp.vdot(g_new, d),
        f32(0.0),
        f32(f),
        g,
        f32(gtd),
        _pair(0.0, t),
        _pair(f, f_new),
        jnp.stack([g, g_new]),
        _pair(gtd, 0.0),
        zero,
        jnp.asarray(False),
        zero,
        jnp.asarray(1, jnp.int32),
    )
    s = _classify(s, f, g, gtd, max_ls)

    def body(s):
        return jax.lax.cond(
            s.phase == BRACKETING,
            lambda: _extrapolate(s, objective, x, d, f, g, gtd, max_ls),
            lambda: _zoom(s, objective, x, d, f, gtd, max_ls, d_norm),
        )

    s = jax.lax.while_loop(lambda s: s.phase != FINISHED, body, s)
    return s.bf[s.low], s.bg[s.low], s.b[s.low], s.evals

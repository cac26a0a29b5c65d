"""Learning-rate schedules and gradient clipping: settings every optimizer takes.

They are SPEC keys like any hyperparameter (``adam:lr=0.1,schedule=cosine,warmup=20,clip=1``)
and travel as traced numbers beside the optimizer's own, so a new schedule never recompiles.
Every loop (2D runs, sweeps, MNIST) calls :func:`scheduled_hparams` with the update's index
t = 0..T-1 and the run's length T, and :func:`clip_gradient` on the gradient before the
optimizer sees it.

With W = warmup, s = t - W and S = T - W, update t uses lr_t:

- warmup (t < W): lr (t+1)/W
- constant: lr;  linear: lr + (min_lr - lr) s/S
- cosine: min_lr + (lr - min_lr)(1 + cos(pi s/S))/2  (torch's CosineAnnealingLR, T_max = S)
- step: lr lr_gamma^floor(s/step_size);  exp: lr lr_gamma^s  (StepLR, ExponentialLR; torch's gamma)
- wsd: lr while s < S - D, then lr + (min_lr - lr)(s - S + D)/D, D = ceil(cooldown S)
- onecycle: torch's OneCycleLR(max_lr=lr, total_steps=T, pct_start=0.3, anneal_strategy="cos",
  div_factor=25, final_div_factor=1e4, cycle_momentum=False); no warmup with it.

Clipping, in this order: ``clip_value=V`` clamps each component to [-V, V] (torch's
clip_grad_value_); ``clip=C`` scales g by min(1, C/(||g|| + 1e-6)) (clip_grad_norm_). 0 is off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import jax.numpy as jnp
from jax.typing import ArrayLike

from optviz.core.limits import MAX_STEPS
from optviz.core.optimizers.base import Array, HParam

KINDS: tuple[str, ...] = ("constant", "linear", "cosine", "step", "exp", "wsd", "onecycle")
ONECYCLE_PCT, ONECYCLE_DIV, ONECYCLE_FINAL_DIV = 0.3, 25.0, 1e4

COMMON: tuple[HParam, ...] = (
    HParam(
        "schedule",
        0,
        0,
        len(KINDS) - 1,
        kind="choice",
        choices=KINDS,
        help="how the learning rate changes over the run",
    ),
    HParam(
        "warmup",
        0,
        0,
        MAX_STEPS,
        kind="int",
        slider=(0, 500),
        help="steps of linear warmup from lr/W to lr (not with onecycle)",
    ),
    HParam(
        "min_lr",
        0.0,
        0.0,
        10.0,
        slider=(0.0, 1.0),
        symbol=r"\eta_{\min}",
        help="the lr that linear, cosine and wsd end at",
    ),
    HParam(
        "lr_gamma",
        0.5,
        0.0,
        1.0,
        low_open=True,
        slider=(0.01, 1.0),
        symbol=r"\gamma",
        help="decay factor: step multiplies lr by it every step_size steps, exp every step",
    ),
    HParam(
        "step_size", 100, 1, MAX_STEPS, kind="int", slider=(1, 1000), help="steps between the step schedule's decays"
    ),
    HParam(
        "cooldown",
        0.2,
        0.0,
        1.0,
        slider=(0.0, 1.0),
        help="the fraction of the run (after warmup) in which wsd decays to min_lr",
    ),
    HParam(
        "clip",
        0.0,
        0.0,
        1e6,
        slider=(0.0, 10.0),
        symbol="C",
        help="clip the gradient's norm to C (0: off), as torch.nn.utils.clip_grad_norm_",
    ),
    HParam(
        "clip_value",
        0.0,
        0.0,
        1e6,
        slider=(0.0, 10.0),
        symbol="V",
        help="clamp each gradient component to [-V, V] (0: off), as clip_grad_value_",
    ),
)
NAMES: tuple[str, ...] = tuple(h.name for h in COMMON)
BY_NAME: dict[str, HParam] = {h.name: h for h in COMMON}
DEFAULTS: dict[str, float] = {h.name: float(h.default) for h in COMMON}
SCHEDULE_KEYS = ("schedule", "warmup", "min_lr", "lr_gamma", "step_size", "cooldown")
# Older names a SPEC may use for a common key, when the optimizer has no key of that name
# (links from before Sophia, whose own gamma took the name, wrote the decay factor as gamma).
ALIASES: dict[str, str] = {"gamma": "lr_gamma"}
# The keys each kind of schedule reads (warmup aside): the controls show only these.
USES: dict[str, tuple[str, ...]] = {
    "constant": (),
    "linear": ("min_lr",),
    "cosine": ("min_lr",),
    "step": ("lr_gamma", "step_size"),
    "exp": ("lr_gamma",),
    "wsd": ("min_lr", "cooldown"),
    "onecycle": (),
}


def kind_of(common: dict[str, float]) -> str:
    """The schedule's name from its stored index."""
    return KINDS[int(common.get("schedule", 0))]


def check(common: dict[str, float], steps: int | None = None) -> str | None:
    """What is wrong with these settings together (for runs of ``steps``), or None."""
    kind, warmup = kind_of(common), int(common.get("warmup", 0))
    if kind == "onecycle" and warmup:
        return f"schedule: onecycle has its own warmup; remove warmup (got warmup={warmup})"
    if steps is not None and warmup and warmup >= steps:
        return f"warmup: must be fewer than the run's {steps} steps (got {warmup})"
    return None


def _cos_anneal(start: Array | float, end: Array | float, pct: Array | float) -> Array:
    return end + (start - end) / 2.0 * (jnp.cos(math.pi * pct) + 1.0)


def _onecycle(t: Array | float, total: Array | float) -> Array:
    """OneCycleLR's factor of max_lr, its two phases as torch computes them."""
    initial = 1.0 / ONECYCLE_DIV
    final = initial / ONECYCLE_FINAL_DIV
    end1 = ONECYCLE_PCT * total - 1.0
    end2 = total - 1.0
    up = _cos_anneal(initial, 1.0, t / jnp.where(end1 == 0, 1.0, end1))
    down = _cos_anneal(1.0, final, (t - end1) / jnp.where(end2 - end1 == 0, 1.0, end2 - end1))
    return jnp.where(t <= end1, up, down)


def lr_coefficients(t: ArrayLike, total: ArrayLike, common: Mapping[str, ArrayLike]) -> tuple[Array, Array]:
    """(a, b) with lr_t = a lr + b min_lr for update ``t`` (0-based) of ``total``.

    Every schedule is linear in lr and min_lr, so a sweep over lr computes a and b once per
    step for all its cells, not the whole schedule per cell. Every argument may be traced; all
    kinds are computed and the kind picks one (a few scalar operations a step).
    """
    t = jnp.asarray(t, jnp.float32)
    total = jnp.asarray(total, jnp.float32)
    kind = jnp.asarray(common["schedule"], jnp.float32)
    warm = jnp.asarray(common["warmup"], jnp.float32)
    gamma = jnp.asarray(common["lr_gamma"], jnp.float32)
    s = t - warm
    span = jnp.maximum(total - warm, 1.0)
    frac = s / span
    cos = (1.0 + jnp.cos(math.pi * frac)) / 2.0
    tail = jnp.ceil(common["cooldown"] * span)
    down = jnp.where(s >= span - tail, (s - span + tail) / jnp.maximum(tail, 1.0), 0.0)
    zero = jnp.zeros_like(frac)
    options = [
        (1.0 + zero, zero),
        (1.0 - frac, frac),
        (cos, 1.0 - cos),
        (gamma ** jnp.floor(jnp.maximum(s, 0.0) / common["step_size"]), zero),
        (gamma ** jnp.maximum(s, 0.0), zero),
        (1.0 - down, down),
        (_onecycle(t, total), zero),
    ]
    a, b = options[0]
    for i, (ai, bi) in enumerate(options[1:], start=1):
        a, b = jnp.where(kind == i, ai, a), jnp.where(kind == i, bi, b)
    warming = (t < warm) & (kind != KINDS.index("onecycle"))
    return jnp.where(warming, (t + 1.0) / jnp.maximum(warm, 1.0), a), jnp.where(warming, 0.0, b)


def lr_at(t: ArrayLike, total: ArrayLike, lr: ArrayLike, common: Mapping[str, ArrayLike]) -> Array:
    """The learning rate of update ``t`` (0-based) in a run of ``total`` updates."""
    a, b = lr_coefficients(t, total, common)
    return a * lr + b * common["min_lr"]


def scheduled_hparams(hp: Mapping[str, Array], t: ArrayLike, total: ArrayLike) -> dict[str, Array]:
    """``hp`` with its lr replaced by the schedule's lr of update ``t`` (of ``total``); the
    unscheduled one stays as ``base_lr`` (for optimizers with a second lr that follows it)."""
    common = {k: hp.get(k, DEFAULTS[k]) for k in SCHEDULE_KEYS}
    return {**hp, "lr": lr_at(t, total, hp["lr"], common), "base_lr": hp["lr"]}


def clip_gradient(grad: Array, hp: Mapping[str, Array], axis: int | None = None) -> Array:
    """The gradient after value clipping, then norm clipping (each off at 0).

    ``axis``: the axis that holds one run's coordinates, for grids of runs laid out as
    [coordinates, runs]; None takes the norm over the whole array.
    """
    value = jnp.asarray(hp.get("clip_value", 0.0), jnp.float32)
    grad = jnp.where(value > 0, jnp.clip(grad, -value, value), grad)
    limit = jnp.asarray(hp.get("clip", 0.0), jnp.float32)
    norm = jnp.sqrt(jnp.sum(grad * grad, axis=axis, keepdims=axis is not None))
    scale = jnp.minimum(1.0, limit / (norm + 1e-6))
    return jnp.where(limit > 0, grad * scale, grad)

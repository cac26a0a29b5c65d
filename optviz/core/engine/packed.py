"""Optimizers as data: every registry entry behind one fixed-shape step, chosen by an index.

Each optimizer keeps a different NamedTuple state and reports different inspection values.
For one compiled program to run any of them, ``lax.switch`` needs branches with equal input
and output shapes, so here each optimizer's state is packed into one float vector of a
common length, its hyperparameters into a vector in registry order, and its inspection
values into a fixed [info_rows(), 2] block (scalars repeated on both coordinates). The layouts
are read off ``init`` and ``inspect`` with ``jax.eval_shape``, for 2D parameters.

Integer state (step counts, SWATS's switch step) travels as float32, exact up to 2**24.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optviz.core.optimizers import REGISTRY, SURFACE_NAMES, schedule
from optviz.core.optimizers.base import Array
from optviz.core.optimizers.step import Problem, apply

DIM = 2  # parameters of a 2D surface


@dataclass(frozen=True)
class Layout:
    """Where one optimizer's state and inspection values sit in the packed arrays."""

    treedef: object
    shapes: tuple[tuple[tuple[int, ...], np.dtype], ...]  # (shape, dtype) of each state leaf
    inspect_keys: tuple[str, ...]
    scalar_keys: frozenset[str]  # inspection values that are one number per step, not per coordinate

    @property
    def size(self) -> int:
        return sum(math.prod(shape) for shape, _ in self.shapes)


def _layout(name: str) -> Layout:
    opt = REGISTRY[name]
    params = jax.ShapeDtypeStruct((DIM,), jnp.float32)
    state = jax.eval_shape(opt.init, params)
    leaves, treedef = jax.tree.flatten(state)
    hp = {h.name: jax.ShapeDtypeStruct((), jnp.float32) for h in opt.hparams}
    info = jax.eval_shape(opt.inspect, state, hp)
    return Layout(
        treedef,
        tuple((tuple(leaf.shape), leaf.dtype) for leaf in leaves),
        tuple(info),
        frozenset(k for k, v in info.items() if v.shape == ()),
    )


@functools.cache
def layouts() -> dict[str, Layout]:
    """Every optimizer's layout, read off on first use: the eval_shapes take 0.1 s, which a
    process that runs no single trajectory (a sweep from the CLI) need not pay at import."""
    return {name: _layout(name) for name in SURFACE_NAMES}


def layout(name: str) -> Layout:
    """One optimizer's layout: a built-in's from :func:`layouts`, a typed rule's read off once
    (it fits: optviz.core.limits.MAX_RULE_STATE keeps its state within the packed sizes)."""
    return layouts()[name] if name in layouts() else _rule_layout(name)


@functools.lru_cache(maxsize=256)
def _rule_layout(name: str) -> Layout:
    # A rule's name holds a digest of its text, so one name is always one layout.
    return _layout(name)


def state_size() -> int:
    """Floats of packed state: the largest optimizer's."""
    return max(layout.size for layout in layouts().values())


def fan_state_size(name: str) -> int:
    """Floats of packed state in a fan's program of optimizer ``name`` (optviz.core.engine.fan):
    its own state and one float of padding, or the largest size if its state is the largest.

    A fan runs one optimizer, so it need not carry the largest state: packed at Adam's size a
    fan of 48 ran 1.4x quicker than at 108 floats. But XLA on CPU fuses a·b + c into one
    rounding or not by how a fusion is emitted, and the state's update is fused into its
    packing: padded, as in the single runs' program, it is emitted as a pad; at exactly its own
    size, as a concatenate, and Adam's fan on Rosenbrock at lr = 1 then parted from the single
    runs at step 7. With one float of padding every optimizer's chaotic fan parted from the
    single runs exactly as the 108-float one did (tests/core/engine/test_fan.py checks members
    against single runs).
    """
    own = layout(name).size
    return own + 1 if own < state_size() else own


def info_rows() -> int:
    """Rows of the inspection block: the most inspection values any optimizer reports."""
    return max(len(layout.inspect_keys) for layout in layouts().values())


NAMES: tuple[str, ...] = SURFACE_NAMES
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
HSIZE = max(len(REGISTRY[name].hparams) for name in NAMES)  # hyperparameter slots
VSIZE = HSIZE + len(schedule.NAMES)  # the value vector: hyperparameters, then the common keys


def pack_hparams(name: str, settings: dict[str, float]) -> list[float]:
    """An optimizer's hyperparameters as HSIZE floats in registry order (zeros after), then the
    schedule and clipping keys (defaults for those not given): VSIZE floats."""
    values = [float(settings[h.name]) for h in REGISTRY[name].hparams]
    common = [float(settings.get(k, schedule.DEFAULTS[k])) for k in schedule.NAMES]
    return values + [0.0] * (HSIZE - len(values)) + common


def slot(name: str, key: str) -> int:
    """Where ``key`` (a hyperparameter of optimizer ``name`` or a common key) sits in its value vector."""
    names = [h.name for h in REGISTRY[name].hparams]
    return names.index(key) if key in names else HSIZE + schedule.NAMES.index(key)


def _pack_state(state, size: int) -> Array:
    leaves = [jnp.ravel(leaf).astype(jnp.float32) for leaf in jax.tree.leaves(state)]
    flat = jnp.concatenate(leaves) if leaves else jnp.zeros(0, jnp.float32)
    return jnp.pad(flat, (0, size - flat.shape[0]))


def _unpack_state(layout: Layout, vec: Array):
    leaves, at = [], 0
    for shape, dtype in layout.shapes:
        n = math.prod(shape)
        leaves.append(vec[at : at + n].reshape(shape).astype(dtype))
        at += n
    return jax.tree.unflatten(layout.treedef, leaves)


def _pack_info(layout: Layout, info: dict) -> Array:
    rows = [jnp.broadcast_to(jnp.asarray(info[k], jnp.float32), (DIM,)) for k in layout.inspect_keys]
    rows += [jnp.zeros(DIM, jnp.float32)] * (info_rows() - len(rows))
    return jnp.stack(rows) if rows else jnp.zeros((0, DIM), jnp.float32)


def init_branch(name: str, size: int | None = None) -> Callable[[Array], Array]:
    """params -> the packed initial state of optimizer ``name``, ``size`` floats (by default
    :func:`state_size`)."""
    opt, floats = REGISTRY[name], size or state_size()
    return lambda params: _pack_state(opt.init(params), floats)


def hparams_of(name: str, hvec: Array) -> dict[str, Array]:
    """The value vector back into {key: value}: the optimizer's hyperparameters and the common keys."""
    hp = {h.name: hvec[i] for i, h in enumerate(REGISTRY[name].hparams)}
    hp.update({k: hvec[HSIZE + i] for i, k in enumerate(schedule.NAMES)})
    return hp


def update_branch(name: str, size: int | None = None, features: frozenset | None = None) -> Callable:
    """(grad, packed state, params, value vector, t, T, problem) -> (new params, packed state,
    packed inspection, lr): the step protocol (optviz.core.optimizers.step) after the gradient,
    for update ``t`` of ``T``; the lr the update used is returned with it. The state is packed
    in ``size`` floats (by default :func:`state_size`); ``features`` ("clip", "schedule") is the
    work the step does besides the update (by default both)."""
    opt, shape, floats = REGISTRY[name], layout(name), size or state_size()
    clip = features is None or "clip" in features
    schedule = features is None or "schedule" in features

    def branch(grad, packed, params, hvec, t, total, problem: Problem):
        state, hp = _unpack_state(shape, packed), hparams_of(name, hvec)
        out = apply(opt, grad, problem, params, state, hp, t, total, clip=clip, schedule=schedule)
        return (
            out.params,
            _pack_state(out.state, floats),
            _pack_info(shape, opt.inspect(out.state, out.hparams)),
            out.hparams["lr"],
        )

    return branch


def point_branch(name: str) -> Callable:
    """(params, packed state, value vector) -> the point where the optimizer takes its gradient."""
    opt, shape = REGISTRY[name], layout(name)

    def point(params, packed, hvec):
        return opt.gradient_point(params, _unpack_state(shape, packed), hparams_of(name, hvec))

    return point


def unpack_info(name: str, rows) -> dict:
    """Per-step inspection values [steps, info_rows(), 2] back into {key: [steps, 2] or [steps]}.

    Keys whose values were scalars per step come back as one column.
    """
    shape = layout(name)
    return {k: rows[:, i, 0] if k in shape.scalar_keys else rows[:, i, :] for i, k in enumerate(shape.inspect_keys)}

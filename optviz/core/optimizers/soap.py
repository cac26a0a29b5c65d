"""SOAP (Vyas et al. 2024, "SOAP: Improving and Stabilizing Shampoo using Adam"): Adam run in the
eigenbasis of Shampoo's preconditioner, as nikhilvyas/SOAP's ``SOAP`` optimizer does it
(merge_dims=False, normalize_grads=False, correct_bias=True).

Per tensor (torch's layout) and per dimension it keeps GG_i, a running average of the gradient's
outer products over that dimension, and Q_i, GG_i's eigenbasis. The gradient is rotated into the
basis (Q_i^T along each dimension), Adam's moments are kept there, and the Adam direction is
rotated back. The first update only sets the basis up (no step); every
``precondition_frequency`` steps the basis is refreshed by one power iteration and a QR
decomposition, v's entries permuted to follow the eigenvalues' order.

On a 2D surface the point is one vector and gets the full 2x2 preconditioner (the reference's
precondition_1d=True); on a network each weight matrix gets one per side, and vectors (biases,
precondition_1d=False) plain Adam.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from optviz.core.optimizers.base import (
    Array,
    HParam,
    Hparams,
    Leaf,
    OptimizerDef,
    beta,
    bias_powers,
    eps,
    lr,
    vector_leaf,
    weight_decay,
)

# A dimension longer than this is left unrotated (the reference's max_precond_dim; its default of
# 10000 would put a 5408 x 5408 eigendecomposition, ~30 s on two cores, into the CNN's first step,
# uninterruptible, and a QR of that size into every refresh).
MAX_PRECOND_DIM = 1024


class SoapState(NamedTuple):
    """Per tensor (in leaf order): m and v in the eigenbasis, and per dimension GG and Q (empty
    where that dimension is not preconditioned); the calls so far, Adam's steps (one fewer), and
    whether the last update refreshed the basis."""

    updates: Array
    step: Array
    refreshed: Array
    m: tuple
    v: tuple
    gg: tuple
    q: tuple


def _preconditioned(shape: tuple[int, ...], vector: bool) -> tuple[bool, ...]:
    """Which dimensions get a preconditioner: a matrix's up to MAX_PRECOND_DIM long, a vector's
    only when ``vector`` (precondition_1d)."""
    if len(shape) == 1:
        return (vector and shape[0] <= MAX_PRECOND_DIM,)
    return tuple(n <= MAX_PRECOND_DIM for n in shape)


def _project(x: Array, qs: tuple[Array, ...], back: bool = False) -> Array:
    """The reference's project (x along each dimension times Q_i) or project_back (times Q_i^T)."""
    for q in qs:
        x = jnp.moveaxis(x, 0, -1) if q.size == 0 else jnp.tensordot(x, q, axes=([0], [1 if back else 0]))
    return x


def _outer(g: Array, dim: int) -> Array:
    others = [i for i in range(g.ndim) if i != dim]
    return jnp.tensordot(g, g, axes=(others, others))


def _eigenbasis(gg: Array) -> Array:
    """Q of GG + 1e-30 I, eigenvalues descending (torch's eigh, columns flipped)."""
    _, q = jnp.linalg.eigh(gg + 1e-30 * jnp.eye(gg.shape[0], dtype=gg.dtype))
    return jnp.flip(q, axis=1)


def _refresh(gg: tuple, q: tuple, v: Array) -> tuple[tuple, Array]:
    """get_orthogonal_matrix_QR: per dimension, sort Q's columns by their Rayleigh quotients
    (descending, v's entries along that dimension likewise), one power iteration, QR."""
    new = []
    for dim, (m, o) in enumerate(zip(gg, q)):
        if o.size == 0:
            new.append(o)
            continue
        order = jnp.argsort(-jnp.diagonal(o.T @ m @ o))
        v = jnp.take(v, order, axis=dim)
        new.append(jnp.linalg.qr(m @ o[:, order])[0])
    return tuple(new), v


def _first_call(p, g, m, v, gg, q, hp, step):
    """The first update: GG from g, Q its eigenbasis, no step."""
    sb = _shampoo_beta(hp)
    gg = tuple(a if a.size == 0 else a + (1.0 - sb) * (_outer(g, i) - a) for i, a in enumerate(gg))
    q = tuple(a if a.size == 0 else _eigenbasis(a) for a in gg)
    return p, m, v, gg, q, jnp.zeros([], jnp.float32)


def _shampoo_beta(hp: Hparams) -> Array:
    return jnp.where(hp["shampoo_beta"] >= 0.0, hp["shampoo_beta"], hp["b2"])


def _adam_in_basis(p, g, m, v, gg, q, hp, step):
    """An Adam step in the eigenbasis, weight decay, then the preconditioner's update."""
    b1, b2 = hp["b1"], hp["b2"]
    g_rot = _project(g, q)
    m = b1 * m + (1.0 - b1) * g_rot
    v = b2 * v + (1.0 - b2) * g_rot * g_rot
    bc1, bc2 = bias_powers(b1, b2, step)
    step_size = hp["lr"] * jnp.sqrt(bc2) / bc1
    p = p + (-step_size) * _project(m / (jnp.sqrt(v) + hp["eps"]), q, back=True)
    p = p + (-hp["lr"] * hp["weight_decay"]) * p
    # update_preconditioner: m back to the original space, GG updated, Q refreshed when due, m rotated again.
    m = _project(m, q, back=True)
    sb = _shampoo_beta(hp)
    gg = tuple(a if a.size == 0 else a + (1.0 - sb) * (_outer(g, i) - a) for i, a in enumerate(gg))
    due = jnp.mod(step, jnp.maximum(hp["precondition_frequency"], 1.0).astype(step.dtype)) == 0
    q, v = jax.lax.cond(due, _refresh, lambda gg, q, v: (q, v), gg, q, v)
    return p, _project(m, q), v, gg, q, due.astype(jnp.float32)


def _init(leaves: tuple[Leaf, ...], vector: bool):
    def init(params: Array) -> SoapState:
        m, gg = [], []
        for leaf in leaves:
            shape = leaf.torch_shape
            m.append(jnp.zeros(shape, params.dtype))
            on = _preconditioned(shape, vector)
            gg.append(tuple(jnp.zeros((n, n) if use else (0,), params.dtype) for n, use in zip(shape, on)))
        zero = jnp.zeros([], jnp.int32)
        return SoapState(zero, zero, jnp.zeros([], jnp.float32), tuple(m), tuple(m), tuple(gg), tuple(gg))

    return init


def _update(leaves: tuple[Leaf, ...]):
    def update(grad: Array, state: SoapState, params: Array, hp: Hparams):
        """The first call sets each tensor's basis up; the others take SOAP's step (module docstring)."""
        first = state.updates == 0
        step = jnp.where(first, state.step, state.step + 1)
        new, ms, vs, ggs, qs, flags = params, [], [], [], [], []
        for i, leaf in enumerate(leaves):
            p, g = leaf.to_torch(params), leaf.to_torch(grad)
            args = (p, g, state.m[i], state.v[i], state.gg[i], state.q[i], hp, step)
            p, m, v, gg, q, flag = jax.lax.cond(first, _first_call, _adam_in_basis, *args)
            new = new.at[leaf.start : leaf.start + leaf.size].set(leaf.from_torch(p))
            ms.append(m)
            vs.append(v)
            ggs.append(gg)
            qs.append(q)
            flags.append(flag)
        refreshed = jnp.max(jnp.stack(flags))
        return new, SoapState(state.updates + 1, step, refreshed, tuple(ms), tuple(vs), tuple(ggs), tuple(qs))

    return update


def _network_inspect(state: SoapState, hp: Hparams) -> dict[str, Array]:
    return {"refreshed": state.refreshed}


def soap_for(leaves: tuple[Leaf, ...]):
    """SOAP on a network: a preconditioner per side of each weight matrix, plain Adam for vectors."""
    return _init(leaves, vector=False), _update(leaves), _network_inspect


def _surface_init(params: Array) -> SoapState:
    flat = params.reshape(-1)
    return _init(vector_leaf(flat), vector=True)(flat)


def _surface_update(grad: Array, state: SoapState, params: Array, hp: Hparams):
    """The 2D surfaces' SOAP: the point as one vector with its full 2x2 preconditioner (a
    non-elementwise sweep passes it as [2, 1])."""
    flat = params.reshape(-1)
    new, state = _update(vector_leaf(flat))(grad.reshape(-1), state, flat, hp)
    return new.reshape(params.shape), state


def _surface_inspect(state: SoapState, hp: Hparams) -> dict[str, Array]:
    """The angle of the basis' first direction (degrees, in [0, 180)), whether the last update
    refreshed the basis, and Adam's moments in the basis."""
    q = state.q[0][0]
    return {
        "basis_angle": jnp.mod(jnp.degrees(jnp.arctan2(q[1, 0], q[0, 0])), 180.0),
        "refreshed": state.refreshed,
        "m": state.m[0],
        "v": state.v[0],
    }


SOAP = OptimizerDef(
    name="soap",
    display_name="SOAP",
    family="curvature",
    lineage="Adam in the eigenbasis of Shampoo's preconditioner",
    description=(
        "SOAP (Vyas et al., 2024) runs Adam in a rotated coordinate system: the eigenbasis of "
        "Shampoo's preconditioner, a running average of the gradient's outer products. Where "
        "the loss's valleys run diagonally, Adam's per-coordinate scaling then lines up with "
        "them. The basis is set up on the first update (which takes no step) and refreshed "
        "every precondition_frequency steps. On a surface it is the full 2x2 matrix; the "
        "inside view shows the basis' angle."
    ),
    update_rule=(
        r"GG_t = \beta_s GG_{t-1} + (1-\beta_s)\, g_t g_t^\top\ (\beta_s = \beta_2 \text{ unless shampoo\_beta} \ge 0),"
        r"\quad Q = \mathrm{eig}(GG)"
        r"\ \text{(refreshed every } k \text{ steps)} \\ "
        r"g'_t = Q^\top g_t,\quad m_t = \beta_1 m_{t-1} + (1-\beta_1) g'_t,\quad v_t = \beta_2 v_{t-1} "
        r"+ (1-\beta_2) g'^2_t \\ "
        r"x_t = x_{t-1} - \eta\, \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\, Q\, \frac{m_t}{\sqrt{v_t} + \epsilon}"
        r" - \eta\lambda x"
    ),
    hparams=(
        lr(3e-3),
        beta("b1", 0.95, r"\beta_1", "decay rate of the first moment"),
        beta("b2", 0.95, r"\beta_2", "decay rate of the second moment"),
        HParam(
            "shampoo_beta",
            -1.0,
            -1.0,
            1.0,
            high_open=True,
            slider=(-1.0, 0.999),
            help="decay rate of the preconditioner GG (-1: b2's)",
        ),
        eps(1e-8),
        weight_decay(0.01),
        HParam(
            "precondition_frequency",
            10.0,
            1.0,
            1000.0,
            slider=(1.0, 100.0),
            kind="int",
            symbol="k",
            help="steps between refreshes of the eigenbasis",
        ),
    ),
    init=_surface_init,
    update=_surface_update,
    inspect=_surface_inspect,
    reference="Vyas et al. 2024, nikhilvyas/SOAP",
    semantics=(
        "merge_dims=False, normalize_grads=False, max_precond_dim=1024 (the reference's 10000 would "
        "eigendecompose the CNN's 5408-wide dense layer, ~30 s a step on two cores); the first update "
        "takes no step (it sets the basis up, as the reference's does), so the next gradient's "
        "second rotated component is rounding, which Adam with eps = 1e-8 turns into a step of "
        "size lr in float32 (not in float64); on a surface precondition_1d=True, on a network False"
    ),
    elementwise=False,  # the 2x2 preconditioner mixes a run's coordinates
    for_network=soap_for,
    state_labels={
        "basis_angle": (r"\angle Q_{:,1}", "angle of the eigenbasis' first direction (degrees)"),
        "refreshed": (r"\text{refreshed}", "the eigenbasis was refreshed at this step (1)"),
        "m": (r"m'_t", "m: first moment, in the eigenbasis"),
        "v": (r"v'_t", "v: second moment, in the eigenbasis"),
    },
)

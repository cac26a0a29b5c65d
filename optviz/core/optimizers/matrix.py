"""Matrix-aware optimizers, torch.optim semantics (torch 2.13 defaults): Adafactor and Muon.

Both treat a weight matrix as a matrix rather than a bag of numbers, so on a network they
need to know where each tensor sits in the flat parameter vector and how torch shapes it
(``Leaf``); ``for_network`` builds their (init, update, inspect) for a network's leaves.

- Adafactor keeps, for a matrix, one running mean of squared gradients per row and per column
  (a rank-1 factorisation of Adam's v) and, for a vector, the plain per-coordinate mean. A 2D
  surface's parameters are one vector, so there it is unfactored.
- Muon orthogonalises each weight matrix's momentum by a Newton-Schulz iteration. Its
  parameters that torch does not hold as matrices (biases, the convolution kernel, which is
  4-D in torch) go to AdamW, as torch's documentation prescribes. A 2D surface has no matrix,
  so Muon is not offered there.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from optviz.core.optimizers.adam import AdamState, adamw_update
from optviz.core.optimizers.base import (
    Array,
    HParam,
    Hparams,
    Leaf,
    OptimizerDef,
    beta,
    decayed,
    eps,
    lr,
    vector_leaf,
    weight_decay,
)

FLOAT32_EPS = float(jnp.finfo(jnp.float32).eps)  # torch's eps1 default: None -> finfo(dtype).eps
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch.optim.Muon's quintic Newton-Schulz (a, b, c)


# --- Adafactor (Shazeer & Stern 2018; torch.optim.Adafactor) ------------------------------


class AdafactorState(NamedTuple):
    """The step count; per tensor (in leaf order) its row and column factors, or for a vector its
    running mean of squared gradients (the unused ones are empty)."""

    updates: Array
    row: tuple
    col: tuple
    variance: tuple


def _adafactor_init(leaves: tuple[Leaf, ...]):
    def init(params: Array) -> AdafactorState:
        rows, cols, variances = [], [], []
        for leaf in leaves:
            shape = leaf.torch_shape
            factored = len(shape) > 1
            rows.append(jnp.zeros(shape[:-1] + (1,) if factored else (0,), params.dtype))
            cols.append(jnp.zeros(shape[:-2] + (1, shape[-1]) if factored else (0,), params.dtype))
            variances.append(jnp.zeros((0,) if factored else shape, params.dtype))
        return AdafactorState(jnp.zeros([], jnp.int32), tuple(rows), tuple(cols), tuple(variances))

    return init


def _lerp(a: Array, b: Array, w: Array) -> Array:
    return a + w * (b - a)  # torch's lerp_


def _adafactor_tensor(p, g, row, col, var, t, hp):
    """torch's _single_tensor_adafactor for one tensor: (new p, row, col, variance)."""
    w = t ** hp["beta2_decay"]  # 1 - beta2_t
    rho = jnp.minimum(hp["lr"], 1.0 / jnp.sqrt(t))
    alpha = jnp.maximum(hp["eps2"], jnp.sqrt(jnp.sum(p * p)) / jnp.sqrt(p.size)) * rho
    p = decayed(p, hp)
    if g.ndim > 1:
        row = _lerp(row, jnp.sum(g * g, axis=-1, keepdims=True) / g.shape[-1], w)
        col = _lerp(col, jnp.sum(g * g, axis=-2, keepdims=True) / g.shape[-2], w)
        estimate = (row @ col) / jnp.maximum(jnp.mean(row, axis=-2, keepdims=True), hp["eps1"])
    else:
        var = _lerp(var, g * g, w)
        estimate = var
    update = jax.lax.rsqrt(jnp.maximum(estimate, hp["eps1"] ** 2)) * g
    denom = jnp.maximum(1.0, jnp.sqrt(jnp.sum(update * update)) / (jnp.sqrt(update.size) * hp["d"]))
    return p - alpha / denom * update, row, col, var


def _adafactor_update(leaves: tuple[Leaf, ...]):
    def update(grad: Array, state: AdafactorState, params: Array, hp: Hparams):
        """Per tensor: rho_t = min(lr, 1/sqrt(t)), alpha_t = max(eps2, RMS(x)) rho_t; x <- x(1 - lr wd);
        a matrix keeps row/column means R, C of g^2 (v = R C / mean(R)), a vector the mean v of g^2,
        each as v <- v + t^decay (g^2 - v); u = g / sqrt(max(v, eps1^2)); x <- x - alpha_t u / max(1, RMS(u)/d)."""
        t = (state.updates + 1).astype(jnp.float32)
        new, rows, cols, variances = params, [], [], []
        for i, leaf in enumerate(leaves):
            p, row, col, var = _adafactor_tensor(
                leaf.to_torch(params), leaf.to_torch(grad), state.row[i], state.col[i], state.variance[i], t, hp
            )
            new = new.at[leaf.start : leaf.start + leaf.size].set(leaf.from_torch(p))
            rows.append(row)
            cols.append(col)
            variances.append(var)
        return new, AdafactorState(state.updates + 1, tuple(rows), tuple(cols), tuple(variances))

    return update


def _adafactor_inspect(leaves: tuple[Leaf, ...]):
    def inspect(state: AdafactorState, hp: Hparams) -> dict[str, Array]:
        """The relative step size rho_t and, per tensor, its factors (or its unfactored v)."""
        t = jnp.maximum(state.updates, 1).astype(jnp.float32)
        info = {"rho_t": jnp.minimum(hp["lr"], 1.0 / jnp.sqrt(t))}
        for i, leaf in enumerate(leaves):
            if len(leaf.torch_shape) > 1:
                info[f"row_{i}"], info[f"col_{i}"] = state.row[i], state.col[i]
            else:
                info["v" if len(leaves) == 1 else f"v_{i}"] = state.variance[i]
        return info

    return inspect


def adafactor_for(leaves: tuple[Leaf, ...]):
    """Adafactor's (init, update, inspect) for a network made of ``leaves``."""
    return _adafactor_init(leaves), _adafactor_update(leaves), _adafactor_inspect(leaves)


def _adafactor_vector_update(grad, state, params, hp):
    """The 2D surfaces' Adafactor: the parameters as one vector (sweeps pass them as [2, 1])."""
    flat = params.reshape(-1)
    new, state = _adafactor_update(vector_leaf(flat))(grad.reshape(-1), state, flat, hp)
    return new.reshape(params.shape), state


def _adafactor_vector_inspect(state, hp):
    return _adafactor_inspect((Leaf(0, state.variance[0].shape, state.variance[0].shape),))(state, hp)


ADAFACTOR = OptimizerDef(
    name="adafactor",
    display_name="Adafactor",
    family="matrix-aware",
    lineage="Adam's v factored into row and column means: memory O(n+m), not O(nm)",
    description=(
        "Adafactor (Shazeer & Stern, 2018) saves Adam's memory: for a weight matrix it keeps one "
        "average of squared gradients per row and per column and rebuilds v as their outer product. "
        "Its step is relative: rho_t = min(lr, 1/sqrt(t)) times the parameters' RMS, and an update "
        "whose RMS exceeds d is scaled down. torch's version: no momentum. On a 2D surface the "
        "parameters are one vector, so v is not factored; on MNIST the weight matrices are."
    ),
    update_rule=(
        r"\rho_t = \min(\eta, 1/\sqrt t),\quad \alpha_t = \max(\epsilon_2, \mathrm{RMS}(x_{t-1}))\,\rho_t \\ "
        r"\text{matrix: } R_t, C_t \leftarrow \text{row, column means of } g_t^2,\ "
        r"\hat v_t = R_t C_t / \overline{R_t}\quad \text{vector: } \hat v_t = \text{mean of } g_t^2 "
        r"\ (\text{weight } t^{\text{decay}}) \\ "
        r"u_t = g_t / \sqrt{\max(\hat v_t, \epsilon_1^2)},\quad "
        r"x_t = x_{t-1}(1 - \eta\lambda) - \alpha_t\, u_t / \max(1, \mathrm{RMS}(u_t)/d)"
    ),
    hparams=(
        lr(1e-2, slider=(1e-4, 1.0)),
        HParam(
            "beta2_decay",
            -0.8,
            -1.0,
            0.0,
            slider=(-1.0, 0.0),
            symbol=r"\text{decay}",
            help="the running means weigh step t by t^decay: -0.8 forgets old gradients slowly",
        ),
        HParam(
            "eps1",
            FLOAT32_EPS,
            0.0,
            1.0,
            low_open=True,
            slider=(1e-12, 1e-2),
            log=True,
            symbol=r"\epsilon_1",
            help="floor of the second-moment estimate (torch: the float's machine epsilon)",
        ),
        HParam(
            "eps2",
            1e-3,
            0.0,
            1.0,
            slider=(1e-6, 1.0),
            log=True,
            symbol=r"\epsilon_2",
            help="floor of the parameters' RMS in the relative step size",
        ),
        HParam(
            "d",
            1.0,
            1.0,
            100.0,
            slider=(1.0, 10.0),
            symbol="d",
            help="clipping threshold: an update with RMS above d is scaled down to it",
        ),
        weight_decay(0.0, help="decoupled weight decay: x <- x (1 - lr weight_decay)"),
    ),
    init=lambda params: _adafactor_init(vector_leaf(params))(params.reshape(-1)),
    update=_adafactor_vector_update,
    inspect=_adafactor_vector_inspect,
    reference="torch.optim.Adafactor",
    semantics=(
        "eps1 is torch's default, float32's epsilon; unfactored on a 2D surface's vector; on MNIST each "
        "weight matrix (in torch's layout, the convolution kernel as (32, 1, 3, 3)) keeps row and column "
        "factors"
    ),
    for_network=adafactor_for,
    elementwise=False,  # the relative step and the update clipping use a run's RMS
    state_labels={
        "rho_t": (r"\rho_t", "ρ: relative step size"),
    },
)


# --- Muon (Jordan et al. 2024; torch.optim.Muon) ------------------------------------------


def newton_schulz(g: Array, steps: Array, eps: Array, coefficients=NS_COEFFICIENTS) -> Array:
    """torch's _zeropower_via_newtonschulz (in float32; torch runs it in bfloat16): X = G/|G|_F
    (transposed if tall), then ``steps`` times X <- a X + (b A + c A^2) X with A = X X^T.
    Close to U V^T of G = U S V^T: singular values land near 1 (in about 0.7..1.2)."""
    a, b, c = coefficients
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / jnp.maximum(jnp.sqrt(jnp.sum(x * x)), eps)

    def body(_, x):
        gram = x @ x.T
        return a * x + (b * gram + c * gram @ gram) @ x

    x = jax.lax.fori_loop(0, jnp.round(steps).astype(jnp.int32), body, x)
    return x.T if tall else x


class MuonState(NamedTuple):
    """The step count, Muon's momentum buffer, and AdamW's moments for the non-matrix tensors
    (all full-length; each tensor uses the part its rule needs)."""

    updates: Array
    buf: Array
    m: Array
    v: Array


def muon_init(params: Array) -> MuonState:
    zeros = jnp.zeros_like(params)
    return MuonState(jnp.zeros([], jnp.int32), zeros, zeros, zeros)


def _adamw_hparams(hp: Hparams) -> dict:
    """The AdamW group's hyperparameters; its lr follows Muon's schedule in proportion."""
    scale = hp["lr"] / hp.get("base_lr", hp["lr"])
    return {
        "lr": hp["adamw_lr"] * scale,
        "b1": hp["adamw_b1"],
        "b2": hp["adamw_b2"],
        "eps": hp["adamw_eps"],
        "weight_decay": hp["adamw_weight_decay"],
    }


def _muon_matrix(p, g, buf, hp):
    """torch's _single_tensor_muon for one (out, in) matrix: (new p, new buffer)."""
    mu = hp["momentum"]
    buf = _lerp(buf, g, 1.0 - mu)
    direction = jnp.where(hp["nesterov"] > 0.5, _lerp(g, buf, mu), buf)
    ortho = newton_schulz(direction, hp["ns_steps"], hp["eps"])
    rows, cols = p.shape
    adjusted = hp["lr"] * max(1.0, rows / cols) ** 0.5  # "original": sqrt(max(1, A/B))
    return decayed(p, hp) - adjusted * ortho, buf


def muon_for(leaves: tuple[Leaf, ...]):
    """Muon's (init, update, inspect) for a network: matrices by Muon, the other tensors by AdamW."""
    matrices = [leaf for leaf in leaves if len(leaf.torch_shape) == 2]

    def update(grad: Array, state: MuonState, params: Array, hp: Hparams):
        """Matrices (torch's (out, in)): B <- mu B + (1-mu) g; O = NS(g + mu (B - g)) (Nesterov) or NS(B);
        x <- x (1 - lr wd) - lr sqrt(max(1, out/in)) O. Other tensors: torch's AdamW with the adamw_* values."""
        count = state.updates + 1
        new, adam = adamw_update(grad, AdamState(state.updates, state.m, state.v), params, _adamw_hparams(hp))
        buf = state.buf
        for leaf in matrices:
            p, b = _muon_matrix(leaf.to_torch(params), leaf.to_torch(grad), leaf.to_torch(state.buf), hp)
            where = slice(leaf.start, leaf.start + leaf.size)
            new, buf = new.at[where].set(leaf.from_torch(p)), buf.at[where].set(leaf.from_torch(b))
        return new, MuonState(count, buf, adam.m, adam.v)

    def inspect(state: MuonState, hp: Hparams) -> dict[str, Array]:
        """The momentum buffer of the matrices and AdamW's moments of the rest."""
        return {"momentum_buffer": state.buf, "m": state.m, "v": state.v}

    return muon_init, update, inspect


def _muon_refused(*_):
    raise ValueError("Muon needs a network's weight matrices; " + MUON_SURFACE_NOTE)


MUON_SURFACE_NOTE = (
    "a 2D surface's parameters are one vector with no matrix to orthogonalise (Newton-Schulz "
    "would just normalise the gradient), so Muon runs on the MNIST page"
)

MUON = OptimizerDef(
    name="muon",
    display_name="Muon",
    family="matrix-aware",
    lineage="momentum orthogonalised per weight matrix (Newton-Schulz): MNIST only",
    description=(
        "Muon (Jordan et al., 2024) takes SGD momentum for each weight matrix and replaces it by the "
        "nearest orthogonal matrix (a few Newton-Schulz iterations, no SVD): every direction the "
        "update moves in gets the same step, so rare directions are not drowned by common ones. "
        "As torch prescribes, biases and other non-matrix tensors are trained by AdamW. MNIST only."
    ),
    update_rule=(
        r"B_t = \mu B_{t-1} + (1-\mu) G_t,\quad \tilde B_t = G_t + \mu (B_t - G_t) \text{ (Nesterov)} \\ "
        r"O_t = \mathrm{NS}_k(\tilde B_t) \approx U V^\top \text{ of } \tilde B_t = U S V^\top \\ "
        r"W_t = W_{t-1}(1 - \eta\lambda) - \eta \sqrt{\max(1, \text{out}/\text{in})}\, O_t"
    ),
    hparams=(
        lr(1e-3, slider=(1e-4, 1.0)),
        weight_decay(0.1, help="decoupled weight decay of the matrices"),
        HParam(
            "momentum",
            0.95,
            0.0,
            1.0,
            high_open=True,
            slider=(0.0, 0.999),
            symbol=r"\mu",
            help="momentum of the matrices' buffer",
        ),
        HParam("nesterov", 1.0, 0.0, 1.0, kind="flag", help="orthogonalise the Nesterov look-ahead"),
        eps(1e-7, help="floor of the norm the Newton-Schulz iteration divides by"),
        HParam("ns_steps", 5.0, 1.0, 99.0, kind="int", slider=(1.0, 10.0), symbol="k", help="Newton-Schulz iterations"),
        HParam(
            "adamw_lr",
            1e-3,
            0.0,
            10.0,
            low_open=True,
            slider=(1e-5, 1.0),
            log=True,
            help="AdamW's lr for the non-matrix tensors",
        ),
        beta("adamw_b1", 0.9, r"\beta_1", "AdamW's b1 for the non-matrix tensors"),
        beta("adamw_b2", 0.999, r"\beta_2", "AdamW's b2 for the non-matrix tensors"),
        HParam(
            "adamw_eps",
            1e-8,
            0.0,
            1.0,
            low_open=True,
            slider=(1e-12, 1e-1),
            log=True,
            help="AdamW's eps for the non-matrix tensors",
        ),
        HParam(
            "adamw_weight_decay",
            0.01,
            0.0,
            10.0,
            slider=(0.0, 1.0),
            help="AdamW's weight decay for the non-matrix tensors",
        ),
    ),
    init=muon_init,
    update=_muon_refused,
    inspect=lambda state, hp: {},
    reference="torch.optim.Muon (+ torch.optim.AdamW for the rest)",
    semantics=(
        "Newton–Schulz in float32 where torch uses bfloat16; torch's AdamW (the adamw_* keys, its lr "
        "following Muon's schedule) for biases and the convolution kernel, which torch holds as 4-D, as "
        "torch's docs prescribe; MNIST only"
    ),
    for_network=muon_for,
    surface_note=MUON_SURFACE_NOTE,
    elementwise=False,
)

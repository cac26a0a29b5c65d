"""The types every optimizer is made of: hyperparameter descriptions and the registry entry.

An optimizer is a pure (init, update) pair over a NamedTuple state, as in optax, but with
its hyperparameters passed to ``update`` as traced values (a dict of scalars) rather than
baked in at construction. That is what lets one compiled program serve every slider value.

Parameters are always one flat float vector: a 2D point for the surfaces, the raveled
network weights (``jax.flatten_util.ravel_pytree``) for MNIST.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

Array = jax.Array
# An optimizer's own state: a NamedTuple of arrays, of its own type (AdamState, LbfgsState, ...).
State = Any
# Hyperparameter values as an update reads them: JAX arrays (traced scalars in a compiled program).
Hparams = Mapping[str, Array]
# The same values as the analyses read them (thresholds, preconditioners): plain floats, NumPy or
# JAX arrays, whichever the caller has (the stability analysis runs these formulas in NumPy).
Values = Mapping[str, Any]
InitFn = Callable[[Array], State]
UpdateFn = Callable[[Array, State, Array, Hparams], tuple[Array, State]]
InspectFn = Callable[[State, Hparams], dict[str, Array]]


@dataclass(frozen=True)
class HParam:
    """One hyperparameter: its default, the values it may take, and how a slider shows it.

    ``low``/``high`` bound the valid values; ``low_open``/``high_open`` say whether the bound
    itself is excluded. ``kind="flag"`` means the value is 0 or 1, ``"int"`` a whole number,
    ``"choice"`` an index into ``choices`` (written by name in SPECs).
    """

    name: str
    default: float
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    slider: tuple[float, float] = (0.0, 1.0)
    log: bool = False
    kind: Literal["float", "flag", "int", "choice"] = "float"
    symbol: str = ""  # LaTeX symbol, e.g. r"\beta_1"
    help: str = ""
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        """A human-readable statement of the valid values, e.g. ``0 < lr <= 10``."""
        if self.kind == "flag":
            return f"{self.name} must be 0 or 1"
        if self.kind == "choice":
            return f"{self.name} must be one of: {', '.join(self.choices)}"
        if self.kind == "int":
            return f"{self.name} must be a whole number from {_num(self.low)} to {_num(self.high)}"
        lo = "<" if self.low_open else "<="
        hi = "<" if self.high_open else "<="
        return f"{self.name} must satisfy {_num(self.low)} {lo} {self.name} {hi} {_num(self.high)}"

    def is_valid(self, value: float) -> bool:
        """Whether ``value`` is a finite number inside this hyperparameter's valid range."""
        if not math.isfinite(value):
            return False
        if self.kind == "flag":
            return value in (0.0, 1.0)
        if self.kind in ("int", "choice") and not float(value).is_integer():
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def stops(self) -> tuple[float, ...]:
        """A log slider's stops: its ends, and 1, 1.5, 2, 3, 5, 7 times each power of ten between."""
        return _log_stops(*self.slider)

    def to_json(self) -> dict:
        """The description as plain JSON-ready data."""
        return {
            "name": self.name,
            "default": self.default,
            "min": self.low,
            "max": self.high,
            "min_exclusive": self.low_open,
            "max_exclusive": self.high_open,
            "slider": list(self.slider),
            "log": self.log,
            "kind": self.kind,
            "symbol": self.symbol,
            "help": self.help,
            **({"choices": list(self.choices)} if self.choices else {}),
        }


def _num(x: float) -> str:
    return f"{x:g}"


NICE_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)


@functools.cache
def _log_stops(lo: float, hi: float) -> tuple[float, ...]:
    stops = {lo, hi}
    for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for mant in NICE_MANTISSAS:
            v = float(f"{mant}e{exp}")
            if lo <= v <= hi:
                stops.add(v)
    return tuple(sorted(stops))


# How the inspected quantities several optimizers share are written: key -> (LaTeX, plain label).
# An entry adds its own in ``state_labels``; the inside view reads them through ``state_label``.
STATE_LABELS: dict[str, tuple[str, str]] = {
    "m": ("m_t", "m: first moment"),
    "v": ("v_t", "v: second moment"),
    "m_hat": (r"\hat m_t", "m̂: bias-corrected m"),
    "v_hat": (r"\hat v_t", "v̂: bias-corrected v"),
    "v_max": (r"v^{\max}_t", "running max of v"),
    "step": (r"\eta\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)", "effective step lr·m̂/(√v̂+ε)"),
    "u": ("u_t", "u: infinity-norm estimate"),
    "buf": ("b_t", "b: momentum buffer"),
    "sum_sq": ("s_t", "s: sum of squared gradients"),
    "square_avg": ("v_t", "v: average squared gradient"),
    "effective_lr": (r"\eta/(\sqrt{\cdot}+\epsilon)", "per-coordinate learning rate"),
}


@dataclass(frozen=True)
class OptimizerDef:
    """A registry entry: everything the CLI, the app and the Learn page know of an optimizer."""

    name: str
    display_name: str
    description: str
    update_rule: str  # LaTeX, one equation per line
    hparams: tuple[HParam, ...]
    init: InitFn = field(repr=False, compare=False)
    update: UpdateFn = field(repr=False, compare=False)
    inspect: InspectFn = field(repr=False, compare=False)
    reference: str = ""
    # Where this version pins down or parts from its reference (docs/optimizers.md shows it).
    semantics: str = ""
    # Where the gradient is taken, given the reported parameters and the state: the parameters
    # themselves, except for methods that evaluate one sequence and differentiate at another
    # (Schedule-Free reports x and takes gradients at y).
    gradient_point: Callable[[Array, State, Hparams], Array] = field(
        default=lambda params, state, hp: params, repr=False, compare=False
    )
    # The Learn page's family tree: the branch, and who fixed what in whom.
    family: str = ""
    lineage: str = ""
    # Whether the update acts on each coordinate alone (no per-run scalars in its state, no sums
    # over a run's parameters but along axis 0, which holds one run's coordinates in every layout:
    # a run's [2] or [n], a sweep's [2, runs]), so a sweep may lay many runs side by side in one array.
    elementwise: bool = True
    # Needs the exact Hessian of the loss (hp["hessian"]): offered on the 2D surfaces only.
    needs_hessian: bool = False
    # Needs an estimate of the Hessian's diagonal (hp["hessian_diag"]) on the updates for which
    # this says so (given the count of earlier updates): exact on the 2D surfaces, Hutchinson's
    # u * (H u) on a network, drawn only on those updates.
    hessian_diag_due: Callable[[Array, Hparams], Array] | None = field(default=None, repr=False, compare=False)
    # Matrix-aware: (init, update, inspect) for a network whose flat parameters hold these
    # tensors (Leaf, in ravel order); None when the same rule serves any flat vector.
    for_network: Callable[[tuple[Leaf, ...]], tuple[InitFn, UpdateFn, InspectFn]] | None = field(
        default=None, repr=False, compare=False
    )
    # Evaluates the loss elsewhere within an update (a line search): hp["objective"](params) ->
    # (loss, gradient), on the surface or on the current batch.
    needs_objective: bool = False
    # Why the optimizer is not offered on the 2D surfaces, and why not on networks (empty: it is).
    surface_note: str = ""
    network_note: str = ""
    # The stability threshold at learning rate ``lr`` (a number or an array): what the sharpness
    # lam_max(H) must stay under, or, for an optimizer with a preconditioner, the preconditioned
    # sharpness lam_max(P^-1 H) (optviz.core.analysis.stability). None: no threshold is known.
    threshold: Callable[[Values, ArrayLike], Any] | None = field(default=None, repr=False, compare=False)
    # The diagonal P the update divides by, after update ``t`` (>= 1), from the state's fields
    # (recorded per step on a 2D run, or a live state's), with NumPy or jax.numpy as ``xp``.
    # None: the update has no such preconditioner.
    preconditioner: Callable[[Values, Any, Mapping[str, Any], Any], Any] | None = field(
        default=None, repr=False, compare=False
    )
    # Its own inspected quantities' (LaTeX, plain label), beside the shared STATE_LABELS.
    state_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False)
    # Settings documented for the MNIST networks where the defaults (tuned at other scales) fall
    # short of Adam's accuracy by more than two points (docs/optimizers.md; tests/core/engine).
    network_settings: Mapping[str, float] = field(default_factory=dict, compare=False)

    def state_label(self, key: str) -> tuple[str, str]:
        """How the inspected quantity ``key`` is written: (LaTeX, plain label)."""
        return self.state_labels.get(key) or STATE_LABELS.get(key) or (key, key)

    def hparam(self, key: str) -> HParam:
        """The hyperparameter called ``key``; KeyError if it has none such."""
        for hp in self.hparams:
            if hp.name == key:
                return hp
        raise KeyError(key)

    @property
    def costly(self) -> bool:
        """Whether a step costs far more than an elementwise update of the same size (it searches
        a line, takes Hessians or Hessian-vector products, works per matrix, or is not
        elementwise): what a job's cost estimate and a sweep's call sizes go by."""
        return (
            self.needs_objective
            or self.needs_hessian
            or self.hessian_diag_due is not None
            or self.for_network is not None
            or not self.elementwise
        )

    @property
    def hparam_names(self) -> tuple[str, ...]:
        return tuple(hp.name for hp in self.hparams)

    def defaults(self) -> dict[str, float]:
        """Every hyperparameter at its default."""
        return {hp.name: hp.default for hp in self.hparams}

    def to_json(self) -> dict:
        """The entry as plain JSON-ready data (functions left out)."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "update_rule": self.update_rule,
            "reference": self.reference,
            "semantics": self.semantics,
            "family": self.family,
            "surface_note": self.surface_note,  # why it is not offered on the 2D surfaces ("" if it is)
            "network_note": self.network_note,  # why it is not offered on networks ("" if it is)
            "hparams": [hp.to_json() for hp in self.hparams],
            "network_settings": dict(self.network_settings),  # documented for the MNIST networks
        }


@dataclass(frozen=True)
class Leaf:
    """One parameter tensor inside a network's flat vector, and how torch shapes the same tensor.

    Stored here a dense weight is (in, out) (``x @ w``); torch's Linear keeps (out, in), and a
    one-channel 3x3 convolution kernel stored (9, C) is torch's (C, 1, 3, 3). ``transpose`` says
    the stored matrix is the transpose of torch's (before reshaping to ``torch_shape``).
    """

    start: int
    shape: tuple[int, ...]
    torch_shape: tuple[int, ...]
    transpose: bool = False

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def to_torch(self, flat: Array) -> Array:
        """This tensor cut out of the flat vector, laid out as torch lays it out."""
        seg = flat[self.start : self.start + self.size].reshape(self.shape)
        return (seg.T if self.transpose else seg).reshape(self.torch_shape)

    def from_torch(self, arr: Array) -> Array:
        """A torch-shaped tensor back to this leaf's stretch of the flat vector (raveled)."""
        arr = arr.reshape(self.shape[::-1]).T if self.transpose else arr.reshape(self.shape)
        return arr.ravel()


def vector_leaf(params: Array) -> tuple[Leaf, ...]:
    """A flat parameter vector seen as one torch vector (the 2D surfaces' view)."""
    return (Leaf(0, (params.size,), (params.size,)),)


# Shared hyperparameter shapes, so that "lr" or "eps" means the same thing everywhere.
def lr(default: float, slider: tuple[float, float] = (1e-5, 1.0)) -> HParam:
    """The learning rate: positive, log-scaled."""
    return HParam(
        "lr",
        default,
        0.0,
        10.0,
        low_open=True,
        slider=slider,
        log=True,
        symbol=r"\eta",
        help="learning rate (step size)",
    )


def beta(name: str, default: float, symbol: str, help: str) -> HParam:
    """A decay rate of a running average: 0 <= beta < 1."""
    return HParam(name, default, 0.0, 1.0, high_open=True, slider=(0.0, 0.9999), symbol=symbol, help=help)


def eps(
    default: float,
    help: str = "added to the denominator for numerical stability",
    slider: tuple[float, float] = (1e-12, 1e-1),
) -> HParam:
    """The small constant that keeps a division finite: positive, log-scaled."""
    return HParam("eps", default, 0.0, 1.0, low_open=True, slider=slider, log=True, symbol=r"\epsilon", help=help)


def eps_root(default: float) -> HParam:
    """optax's eps_root, added inside the square root of the second moment: 0 <= eps_root <= 1."""
    return HParam(
        "eps_root", default, 0.0, 1.0, slider=(0.0, 1e-3), symbol=r"\epsilon_{root}", help="added inside the root"
    )


def weight_decay(default: float, help: str = "decoupled weight decay coefficient") -> HParam:
    """A weight-decay coefficient: 0 <= wd <= 10."""
    return HParam("weight_decay", default, 0.0, 10.0, slider=(0.0, 1.0), symbol=r"\lambda", help=help)


def momentum(default: float) -> HParam:
    """The heavy-ball momentum coefficient: 0 <= mu < 1."""
    return HParam(
        "momentum", default, 0.0, 1.0, high_open=True, slider=(0.0, 0.999), symbol=r"\mu", help="momentum coefficient"
    )


def one_minus_power(beta: Array, t: Array) -> Array:
    """1 - beta^t, computed as -expm1(t * log1p(beta - 1)).

    For beta near 1 (b2 = 0.999) the plain 1 - beta**t cancels: pow's rounding error near 1
    becomes a relative error of ~1e-4 in 1 - b2^t at small t. Here beta - 1 is exact in
    float32 (beta in [0.5, 1]), and log1p and expm1 keep full relative precision. It is also
    several times faster than a per-run pow when beta is swept.
    """
    return -jnp.expm1(t * jnp.log1p(beta - 1.0))


def gd_threshold(hp: Values, lr: ArrayLike) -> Any:
    """Gradient descent on curvature lam is stable while lam < 2/lr (and RMSprop and Adagrad, which
    divide the gradient itself by their preconditioner, while lam_max(P^-1 H) < 2/lr)."""
    return 2.0 / lr


def decayed(params: Array, hp: Hparams, rate: Array | None = None) -> Array:
    """Decoupled weight decay, torch's form: params * (1 - rate * weight_decay), rate the lr by default."""
    return params * (1.0 - (hp["lr"] if rate is None else rate) * hp["weight_decay"])


def with_decay(update: Array, params: Array, hp: Hparams) -> Array:
    """Decoupled weight decay, optax's form: the update plus weight_decay * params (then scaled by the lr)."""
    return update + hp["weight_decay"] * params


def l2(grad: Array, params: Array, hp: Hparams) -> Array:
    """Weight decay as an L2 term in the gradient (coupled): grad + weight_decay * params."""
    return grad + hp["weight_decay"] * params


def one_minus_power_xp(beta: Any, t: Any, xp: Any = jnp) -> Any:
    """:func:`one_minus_power` with NumPy or jax.numpy as ``xp`` (the stability analysis reads
    recorded states in float64 NumPy, the MNIST measurements live states in JAX)."""
    return -xp.expm1(t * xp.log1p(beta - 1.0))


def bias_powers(b1: Array, b2: Array, count: Array) -> tuple[Array, Array]:
    """The bias corrections 1 - b1^t and 1 - b2^t at step ``count`` (>= 1)."""
    t = count.astype(jnp.float32)
    return one_minus_power(b1, t), one_minus_power(b2, t)


CAUTIOUS_LABELS = {
    "kept": (r"\phi_t", "cautious mask: 0 where the update disagreed with g"),
    "kept_fraction": (r"\mathrm{mean}\,\mathbb 1[\phi_t > 0]", "share of the update's components kept"),
}


# The cautious line each rule that takes the key adds to its update rule (LaTeX).
CAUTIOUS_RULE = (
    r"\text{cautious=1: } \phi_t = \frac{\mathbb 1[u_t g_t > 0]}{\max(\mathrm{mean}\,\mathbb 1[u_t g_t > 0],"
    r" 10^{-3})},\ u_t \leftarrow u_t \phi_t \text{ (u: the update's direction)}"
)


def cautious_info(kept: Array) -> dict[str, Array]:
    """The cautious mask of the last update and the share of components it kept (1 when off)."""
    return {"kept": kept, "kept_fraction": jnp.mean((kept > 0).astype(kept.dtype), axis=0)}


def cautious_flag() -> HParam:
    """The cautious-masking switch (Liang et al. 2024) shared by AdamW, Lion, AdEMAMix and MARS."""
    return HParam(
        "cautious",
        0.0,
        0.0,
        1.0,
        kind="flag",
        symbol=r"\phi",
        help="1: zero the update's components whose sign disagrees with the gradient, rescale the rest",
    )


def cautious_mask(update: Array, grad: Array, hp: Hparams) -> Array:
    """The cautious mask phi = 1[u * g > 0] / max(mean(phi), 1e-3) over one run's coordinates
    (axis 0), C-Optim's C-AdamW form; all ones when hp["cautious"] is 0.

    The step uses ``update * mask``: a component moving against the gradient is dropped, and
    the kept ones are scaled up so the step keeps its size. With every sign agreeing the mask is
    exactly 1."""
    # Signs compared rather than u * g > 0: XLA flushes a product under 1e-38 to zero.
    agree = (jnp.sign(update) * jnp.sign(grad) > 0).astype(update.dtype)
    mask = agree / jnp.maximum(jnp.mean(agree, axis=0), 1e-3)
    return jnp.where(hp["cautious"] > 0.5, mask, jnp.ones_like(update))

"""The optimizer registry: the one list of optimizers that every part of optviz reads.

>>> from optviz.core.optimizers import REGISTRY
>>> REGISTRY["adam"].defaults()["lr"]
0.001
"""

from __future__ import annotations

from dataclasses import replace

from optviz.core.optimizers.adam import ADAM, ADAMAX, ADAMW, AMSGRAD, NADAM
from optviz.core.optimizers.adaptive import ADAGRAD, RMSPROP
from optviz.core.optimizers.base import HParam, OptimizerDef
from optviz.core.optimizers.free import PRODIGY, SFADAMW
from optviz.core.optimizers.lbfgs import LBFGS
from optviz.core.optimizers.lion import LION
from optviz.core.optimizers.matrix import ADAFACTOR, MUON
from optviz.core.optimizers.newton import NEWTON
from optviz.core.optimizers.recent import ADABELIEF, ADADELTA, ADEMAMIX, ADOPT, RADAM, RPROP, YOGI
from optviz.core.optimizers.sgd import MOMENTUM, NESTEROV, SGD
from optviz.core.optimizers.sophia import SOPHIA
from optviz.core.optimizers.swats import SWATS

# The Learn page's family tree: each optimizer's branch and what it changed in its parent.
LINEAGE: dict[str, tuple[str, str]] = {
    "sgd": ("gradient descent", "the baseline: step against the gradient"),
    "momentum": ("gradient descent", "SGD + a velocity (Polyak's heavy ball): damps zig-zags"),
    "nesterov": ("gradient descent", "momentum that looks ahead before it steps"),
    "adagrad": ("adaptive", "per-coordinate steps from the sum of squared gradients"),
    "rmsprop": ("adaptive", "Adagrad with a running average instead of a sum: steps stop shrinking"),
    "adadelta": ("adaptive", "RMSprop whose step has the parameters' units (no global lr needed)"),
    "adam": ("adaptive", "RMSprop + momentum + bias correction"),
    "adamax": ("adaptive", "Adam with the infinity norm in place of v"),
    "nadam": ("adaptive", "Adam with Nesterov's look-ahead"),
    "amsgrad": ("adaptive", "Adam that never lets v shrink: fixes Reddi et al.'s counterexample"),
    "adamw": ("adaptive", "Adam with weight decay taken out of the gradient (decoupled)"),
    "radam": ("adaptive", "Adam with a derived warmup: no adaptive step until v's variance is tractable"),
    "adabelief": ("adaptive", "Adam whose v is the variance around the prediction m"),
    "yogi": ("adaptive", "Adam whose v moves additively, so bursts cannot inflate the step"),
    "adopt": ("adaptive", "Adam normalising by the previous v: converges for any b2"),
    "ademamix": ("adaptive", "Adam + a second, very slow momentum"),
    "swats": ("adaptive", "Adam that switches to SGD once its steps settle"),
    "rprop": ("sign", "the gradient's sign only, one step size per coordinate"),
    "lion": ("sign", "sign of an interpolated momentum (found by program search)"),
    "sfadamw": ("learning-rate-free", "AdamW steps averaged on the fly: no decay schedule"),
    "prodigy": ("learning-rate-free", "Adam whose lr is estimated from the distance travelled"),
    "newton": ("curvature", "steps by the inverse Hessian: one step on a quadratic (2D surfaces only)"),
    "lbfgs": ("curvature", "Newton's step with the inverse Hessian rebuilt from recent gradient changes"),
    "sophia": ("curvature", "momentum over a running Hessian diagonal, each coordinate's step clipped"),
    "adafactor": ("matrix-aware", "Adam's v factored into row and column means: memory O(n+m), not O(nm)"),
    "muon": ("matrix-aware", "momentum orthogonalised per weight matrix (Newton-Schulz): MNIST only"),
}
FAMILIES = ("gradient descent", "adaptive", "sign", "learning-rate-free", "curvature", "matrix-aware")

REGISTRY: dict[str, OptimizerDef] = {
    opt.name: replace(opt, family=LINEAGE[opt.name][0], lineage=LINEAGE[opt.name][1])
    for opt in (SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, ADAMW, AMSGRAD, ADAMAX, NADAM,
                LION, SWATS, ADADELTA, RPROP, RADAM, ADABELIEF, YOGI, ADOPT, ADEMAMIX, SFADAMW, PRODIGY,
                NEWTON, LBFGS, SOPHIA, ADAFACTOR, MUON)
}
# The optimizers offered on the 2D surfaces (Muon needs weight matrices), and on networks
# (Newton needs the exact Hessian).
SURFACE_NAMES: tuple[str, ...] = tuple(n for n, o in REGISTRY.items() if not o.surface_note)
NETWORK_NAMES: tuple[str, ...] = tuple(n for n, o in REGISTRY.items() if not o.needs_hessian)

__all__ = ["FAMILIES", "LINEAGE", "NETWORK_NAMES", "REGISTRY", "SURFACE_NAMES", "HParam", "OptimizerDef"]

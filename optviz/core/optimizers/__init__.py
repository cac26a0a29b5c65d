"""The optimizer registry: the one list of optimizers that every part of optviz reads.

>>> from optviz.core.optimizers import REGISTRY
>>> REGISTRY["adam"].defaults()["lr"]
0.001
"""

from __future__ import annotations

from optviz.core.optimizers import rules
from optviz.core.optimizers.adam import ADAM, ADAMAX, ADAMW, AMSGRAD, NADAM
from optviz.core.optimizers.adaptive import ADAGRAD, RMSPROP
from optviz.core.optimizers.base import HParam, OptimizerDef
from optviz.core.optimizers.estimated import DADAPT_ADAMW, DOG, PRODIGY
from optviz.core.optimizers.free import SFADAMW, SFSGD
from optviz.core.optimizers.largebatch import LAMB, LARS
from optviz.core.optimizers.lbfgs import LBFGS
from optviz.core.optimizers.lion import LION, SIGNUM
from optviz.core.optimizers.matrix import ADAFACTOR, MUON
from optviz.core.optimizers.momenta import ADAN, MARS, SIMPLIFIED_ADEMAMIX
from optviz.core.optimizers.newton import NEWTON
from optviz.core.optimizers.recent import ADABELIEF, ADADELTA, ADEMAMIX, ADOPT, RADAM, RPROP, YOGI
from optviz.core.optimizers.sam import SAM
from optviz.core.optimizers.sgd import MOMENTUM, NESTEROV, SGD
from optviz.core.optimizers.soap import SOAP
from optviz.core.optimizers.sophia import SOPHIA
from optviz.core.optimizers.swats import SWATS

# The Learn page's family tree: its branches in order (each optimizer names its own, with what it
# changed in its parent).
FAMILIES = (
    "gradient descent",
    "adaptive",
    "sign",
    "large-batch",
    "parameter-free",
    "schedule-free",
    "curvature",
    "matrix-aware",
    "flat minima",
)


class Registry(dict[str, OptimizerDef]):
    """The built-ins by name; a lookup by a registered rule's internal name (``mine~1a2b…``,
    optviz.core.optimizers.rules) finds the rule too, but listings (iteration, len) show the
    built-ins only, so one visitor's rule never appears in another's pickers."""

    def __missing__(self, key: str) -> OptimizerDef:
        return rules.RULES[key]

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in rules.RULES

    def get(self, key: str, default=None):
        """The entry for ``key`` (a built-in or a registered rule), else ``default``."""
        return self[key] if key in self else default  # noqa: SIM401 - dict.get skips __missing__


REGISTRY: Registry = Registry(
    (opt.name, opt)
    for opt in (
        SGD,
        MOMENTUM,
        NESTEROV,
        ADAGRAD,
        RMSPROP,
        ADAM,
        ADAMW,
        AMSGRAD,
        ADAMAX,
        NADAM,
        LION,
        SWATS,
        ADADELTA,
        RPROP,
        RADAM,
        ADABELIEF,
        YOGI,
        ADOPT,
        ADEMAMIX,
        SFADAMW,
        PRODIGY,
        NEWTON,
        LBFGS,
        SOPHIA,
        ADAFACTOR,
        MUON,
        # The second wave (2017-2025), appended so that links and the catalogue's indices keep
        # the first 26 where they were.
        LAMB,
        LARS,
        SIGNUM,
        ADAN,
        SIMPLIFIED_ADEMAMIX,
        MARS,
        DOG,
        DADAPT_ADAMW,
        SFSGD,
        SOAP,
        SAM,
    )
)
rules.reserve_names(dict.keys(REGISTRY))
# The optimizers offered on the 2D surfaces, and on networks (each entry says why where it is not).
SURFACE_NAMES: tuple[str, ...] = tuple(n for n, o in REGISTRY.items() if not o.surface_note)
NETWORK_NAMES: tuple[str, ...] = tuple(n for n, o in REGISTRY.items() if not o.network_note)

__all__ = ["FAMILIES", "NETWORK_NAMES", "REGISTRY", "SURFACE_NAMES", "HParam", "OptimizerDef"]

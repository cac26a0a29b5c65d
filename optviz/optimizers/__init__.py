"""The optimizer registry: the one list of optimizers that every part of optviz reads.

>>> from optviz.optimizers import REGISTRY
>>> REGISTRY["adam"].defaults()["lr"]
0.001
"""

from __future__ import annotations

from .adam import ADAM, ADAMAX, ADAMW, AMSGRAD, NADAM
from .adaptive import ADAGRAD, RMSPROP
from .base import HParam, OptimizerDef
from .lion import LION
from .sgd import MOMENTUM, NESTEROV, SGD
from .swats import SWATS

REGISTRY: dict[str, OptimizerDef] = {
    opt.name: opt
    for opt in (SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, ADAMW, AMSGRAD, ADAMAX, NADAM,
                LION, SWATS)
}

__all__ = ["REGISTRY", "HParam", "OptimizerDef"]

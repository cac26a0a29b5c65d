"""Every page's view as a link: frozen configurations with pure ``from_query``/``to_query``.

One module per page (``*_view``), all reading their links the same way (:mod:`.query`), all
through the validators the command line uses. No Streamlit here.
"""

from optviz.link.compare_view import CompareConfig
from optviz.link.learn_view import LearnConfig
from optviz.link.mnist_view import MnistConfig
from optviz.link.query import Params, Query, Reader
from optviz.link.surfaces_view import (
    CUSTOM,
    DEFAULT_RACE,
    DEFAULT_STEPS,
    DEFAULT_SURFACE,
    TOLERANCES,
    RaceConfig,
    SurfacesConfig,
    parse_query,
    to_query,
)
from optviz.link.sweep_view import SweepConfig

__all__ = [
    "CUSTOM",
    "DEFAULT_RACE",
    "DEFAULT_STEPS",
    "DEFAULT_SURFACE",
    "TOLERANCES",
    "CompareConfig",
    "LearnConfig",
    "MnistConfig",
    "Params",
    "Query",
    "RaceConfig",
    "Reader",
    "SurfacesConfig",
    "SweepConfig",
    "parse_query",
    "to_query",
]

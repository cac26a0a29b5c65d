"""Every page's view as a link: frozen configurations with pure ``from_query``/``to_query``.

One module per page (``*_view``), all reading their links the same way (:mod:`.query`), all
through the validators the command line uses. No Streamlit here.
"""

from .compare_view import CompareConfig
from .learn_view import LearnConfig
from .mnist_view import MnistConfig
from .query import Params, Query, Reader
from .surfaces_view import (CUSTOM, DEFAULT_RACE, DEFAULT_STEPS, DEFAULT_SURFACE, TOLERANCES, RaceConfig, SurfacesConfig,
                            parse_query, to_query)
from .sweep_view import SweepConfig

__all__ = ["CompareConfig", "CUSTOM", "DEFAULT_RACE", "DEFAULT_STEPS", "DEFAULT_SURFACE", "TOLERANCES", "LearnConfig", "MnistConfig",
           "Params", "Query", "RaceConfig", "Reader", "SurfacesConfig", "SweepConfig", "parse_query", "to_query"]

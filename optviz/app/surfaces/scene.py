"""What every chart of the Surfaces page is drawn from: the race, its runs, the surface's grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from optviz.core.engine.trajectory import Run
from optviz.core.problems.surfaces import Surface
from optviz.link import RaceConfig
from optviz.plots.common import PathData


@dataclass(frozen=True)
class Scene:
    """What every chart of the page is drawn from: the race, its runs and the surface's grid."""

    cfg: RaceConfig
    surface: Surface
    runs: list[Run]
    labels: list[str]
    paths: list[PathData]
    grid: tuple[np.ndarray, np.ndarray, np.ndarray]
    minima: list[tuple[float, float, float]]
    floor: float

    @property
    def log(self) -> bool:
        """Whether heights are drawn log-scaled (the toggle, else the surface's own choice)."""
        return bool(st.session_state.get(f"log_{self.surface.name}", self.surface.log_scale))

"""Cached computations for the pages: bounded, shared across sessions, never mutated."""

from __future__ import annotations

import streamlit as st

from optviz.link import RaceConfig
from optviz.trajectory import Run, run_race


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def race(cfg: RaceConfig) -> list[Run]:
    """The runs of a race (the jitted programs behind it are cached per optimizer and surface)."""
    return run_race(cfg.surface_obj(), cfg.start, cfg.steps, list(cfg.specs), cfg.noise, cfg.seed)

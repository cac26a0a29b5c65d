"""Cached computations for the pages: bounded, shared across sessions, never mutated."""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz.link import RaceConfig
from optviz.spec import OptSpec
from optviz.trajectory import Run, run_one


def _freeze(run: Run) -> Run:
    """Make a shared run's arrays read-only, so no session can change another's picture."""
    for a in (run.path, run.loss, *run.state.values()):
        a.flags.writeable = False
    return run


@st.cache_resource(max_entries=2048, ttl=3600, show_spinner=False)
def racer(surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, noise: float,
          seed: int) -> Run:
    """One racer's run. Cached per racer, so a change to one optimizer reruns only that one, and
    thirty sessions on one link compute each run once."""
    cfg = RaceConfig(surface=surface, expr=expr, domain=domain)
    return _freeze(run_one(cfg.surface_obj(), start, steps, spec, noise, seed))


def race(cfg: RaceConfig) -> list[Run]:
    """The runs of a race, in racer order."""
    start = tuple(float(v) for v in np.asarray(cfg.start, np.float64))
    return [racer(cfg.surface, cfg.expr, cfg.domain, start, cfg.steps, spec, cfg.noise, cfg.seed)
            for spec in cfg.specs]

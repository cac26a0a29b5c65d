"""The Surfaces page's computations, behind the shared cache (optviz.app.kit.cache)."""

from __future__ import annotations

import numpy as np

from optviz.link import RaceConfig
from optviz.core.spec import OptSpec
from optviz.core.analysis.stability import stability
from optviz.core.engine.trajectory import Run, run_one

from optviz.app.kit.cache import shared


@shared(max_entries=2048)
def racer(surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, noise: float,
          seed: int) -> Run:
    """One racer's run. Cached per racer, so a change to one optimizer reruns only that one, and
    thirty sessions on one link compute each run once."""
    cfg = RaceConfig(surface=surface, expr=expr, domain=domain)
    return run_one(cfg.surface_obj(), start, steps, spec, noise, seed)


def cached_runs(cfg: RaceConfig) -> list[Run]:
    """The runs of a race, in racer order."""
    start = (float(cfg.start[0]), float(cfg.start[1]))
    return [racer(cfg.surface, cfg.expr, cfg.domain, start, cfg.steps, spec, cfg.noise, cfg.seed)
            for spec in cfg.specs]


@shared(max_entries=512)
def racer_stability(surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, noise: float,
                    seed: int) -> dict[str, np.ndarray]:
    """One racer's sharpness, preconditioned sharpness and threshold per step (optviz.core.analysis.stability)."""
    cfg = RaceConfig(surface=surface, expr=expr, domain=domain)
    return stability(racer(surface, expr, domain, start, steps, spec, noise, seed), cfg.surface_obj())


def cached_stability(cfg: RaceConfig) -> list[dict[str, np.ndarray]]:
    """Every racer's stability series, in racer order."""
    start = (float(cfg.start[0]), float(cfg.start[1]))
    return [racer_stability(cfg.surface, cfg.expr, cfg.domain, start, cfg.steps, spec, cfg.noise, cfg.seed)
            for spec in cfg.specs]

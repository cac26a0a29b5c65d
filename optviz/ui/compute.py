"""The Surfaces page's computations, behind the shared cache (optviz.ui.cache)."""

from __future__ import annotations

from optviz.link import RaceConfig
from optviz.spec import OptSpec
from optviz.trajectory import Run, run_one

from .cache import shared


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

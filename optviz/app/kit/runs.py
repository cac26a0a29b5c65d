"""Runs and surface grids every page draws, behind the shared caches (optviz.app.kit.cache):
single runs by racer, their stability series, each surface's loss grid, downhill arrows and
displayed heights."""

from __future__ import annotations

import threading

import numpy as np

from optviz.app.kit.cache import shared
from optviz.core.analysis.measures import gradient_field, loss_grid
from optviz.core.analysis.stability import ready as hessians_ready
from optviz.core.analysis.stability import stability
from optviz.core.engine.fan import FAN_SIZE, START_KEYS, Fan, fan_values, run_fan
from optviz.core.engine.trajectory import Run, run_one
from optviz.core.engine.trajectory import ready as run_ready
from optviz.core.problems.surfaces import SURFACES, Surface
from optviz.core.spec import OptSpec
from optviz.link import RaceConfig
from optviz.plots.common import display_z
from optviz.plots.raster import background

_grids_warm = threading.Event()  # set once warm_grids has run: every catalogue surface's grid programs compiled


def _grids_ready(surface: Surface, *_args: object) -> bool:
    return _grids_warm.is_set()


def _no_program(*_args: object) -> bool:  # numpy work only: nothing to wait for
    return True


@shared(max_entries=128, ready=_grids_ready)
def grid(surface: Surface) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface's loss grid xs, ys, z (optviz.core.analysis.measures.loss_grid)."""
    return loss_grid(surface)


@shared(max_entries=128, ready=_grids_ready)
def arrows(surface: Surface) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points, gradients and their norms on a coarse grid (the downhill arrows)."""
    return gradient_field(surface)


@shared(max_entries=256, ready=_no_program)
def heights(surface: Surface, floor: float, log: bool) -> np.ndarray:
    """The grid's heights as drawn (optviz.plots.common.display_z): every rerun draws them twice."""
    return display_z(grid(surface)[2], floor, log)


@shared(max_entries=128, ready=_no_program)
def surface_picture(surface: Surface, floor: float, log: bool) -> dict:
    """The surface as a layout image (optviz.plots.raster.background), for views without a contour trace."""
    xs, ys, z = grid(surface)
    return background(xs, ys, z, floor, log)


def warm_grids() -> None:
    """Every catalogue surface's grid and arrows, at start-up, so no first visit computes them."""
    for surface in SURFACES.values():
        grid(surface)
        arrows(surface)
    _grids_warm.set()


def _surface(surface: str, expr: str, domain: tuple) -> Surface:
    return RaceConfig(surface=surface, expr=expr, domain=domain).surface_obj()


def _racer_ready(surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, *_rest) -> bool:
    return run_ready(_surface(surface, expr, domain), spec.name)


def _stability_ready(surface: str, expr: str, domain: tuple, *_rest) -> bool:
    return hessians_ready(_surface(surface, expr, domain))


@shared(max_entries=2048, ready=_racer_ready)
def racer(
    surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, noise: float, seed: int
) -> Run:
    """One racer's run. Cached per racer, so a change to one optimizer reruns only that one, and
    thirty sessions on one link compute each run once."""
    return run_one(_surface(surface, expr, domain), start, steps, spec, noise, seed)


def cached_runs(cfg: RaceConfig) -> list[Run]:
    """The runs of a race, in racer order."""
    start = (float(cfg.start[0]), float(cfg.start[1]))
    return [racer(cfg.surface, cfg.expr, cfg.domain, start, cfg.steps, spec, cfg.noise, cfg.seed) for spec in cfg.specs]


@shared(max_entries=256)
def racer_fan(
    surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, noise: float, seed: int, key: str
) -> Fan:
    """One racer's run at FAN_SIZE values of ``key`` across its range (a start coordinate: across
    the domain), for the what-if scrubber; SpecError if the key cannot be scrubbed here."""
    cfg = RaceConfig(surface=surface, expr=expr, domain=domain)
    surf = cfg.surface_obj()
    bounds = None
    if key in START_KEYS:
        axis = START_KEYS.index(key)
        bounds = (surf.domain[2 * axis], surf.domain[2 * axis + 1])
    values = fan_values(spec, key, FAN_SIZE, start, bounds, steps)
    return run_fan(surf, start, steps, spec, key, values, noise, seed)


def cached_fan(cfg: RaceConfig, racer_index: int, key: str) -> Fan:
    """The fan of racer ``racer_index`` of a race over ``key`` (shared, like the races)."""
    start = (float(cfg.start[0]), float(cfg.start[1]))
    spec = cfg.specs[racer_index]
    return racer_fan(cfg.surface, cfg.expr, cfg.domain, start, cfg.steps, spec, cfg.noise, cfg.seed, key)


@shared(max_entries=512, ready=_stability_ready)
def racer_stability(
    surface: str, expr: str, domain: tuple, start: tuple, steps: int, spec: OptSpec, noise: float, seed: int
) -> dict[str, np.ndarray]:
    """One racer's sharpness, preconditioned sharpness and threshold per step (optviz.core.analysis.stability)."""
    return stability(racer(surface, expr, domain, start, steps, spec, noise, seed), _surface(surface, expr, domain))


def cached_stability(cfg: RaceConfig) -> list[dict[str, np.ndarray]]:
    """Every racer's stability series, in racer order."""
    start = (float(cfg.start[0]), float(cfg.start[1]))
    return [
        racer_stability(cfg.surface, cfg.expr, cfg.domain, start, cfg.steps, spec, cfg.noise, cfg.seed)
        for spec in cfg.specs
    ]

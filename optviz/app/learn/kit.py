"""What every Learn section uses: links to the other pages, "Try it" lines, and a demo's figures
drawn from its runs in the shared cache (optviz.app.learn.races)."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import streamlit as st

from optviz.app.kit.cache import shared
from optviz.app.kit.charts import chart
from optviz.app.kit.runs import grid, surface_picture
from optviz.app.learn.races import demo_runs
from optviz.core.analysis.demos import Demo, Facts, facts
from optviz.core.analysis.measures import loss_grid
from optviz.core.engine.fan import Fan, run_fan
from optviz.core.engine.trajectory import Run
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.formulas import DEFAULT_DOMAIN, custom_surface
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import parse_axis, parse_spec, parse_surface_spec
from optviz.link import MnistConfig, RaceConfig, SurfacesConfig, SweepConfig
from optviz.plots.common import PathData, color
from optviz.plots.curves import curves_figure
from optviz.plots.scrub import FanData, scrub_top
from optviz.plots.surface_figures import contour_figure


def surfaces_link(surface: str, opts: list[str], steps: int = 150, start=None, scrub: str | None = None) -> str:
    """A share link that opens the Surfaces page on this race (a catalogue surface); with ``scrub``,
    the what-if scrubber over that setting of the first racer."""
    cfg = RaceConfig(surface, start or SURFACES[surface].start, steps, tuple(parse_spec(o) for o in opts))
    return "/?" + urlencode(SurfacesConfig(cfg, scrub=scrub).to_query(), doseq=True)


def demo_link(demo: Demo) -> str:
    """The Surfaces page on a demo's race (optviz.core.analysis.demos), its formula included."""
    if not demo.expr and not demo.rules:
        return surfaces_link(demo.surface, list(demo.opts), demo.steps, demo.start)
    domain = demo.domain or DEFAULT_DOMAIN
    specs = tuple(demo.specs())
    cfg = RaceConfig(demo.surface, demo.start, demo.steps, specs, expr=demo.expr, domain=domain, rules=demo.rules)
    return "/?" + urlencode(SurfacesConfig(cfg).to_query(), doseq=True)


def sweep_link(surface: str, opt: str, x: str, y: str, steps: int = 500, opt2: str = "") -> str:
    """A link that opens the Sweep page on this grid (the CLI's axis syntax), written by its view."""
    spec = parse_spec(opt)
    cfg = SweepConfig(
        surface,
        spec,
        parse_spec(opt2) if opt2 else None,
        parse_axis("x", x, spec.name),
        parse_axis("y", y, spec.name),
        SURFACES[surface].start,
        steps,
    )
    return "/sweep?" + urlencode(cfg.to_query(), doseq=True)


def mnist_link(model: str, opts: list[str], epochs: int = 3, train: int = 6000, test: int = 2000) -> str:
    """A link that opens the MNIST page on this race, written by its view."""
    cfg = MnistConfig(model, tuple(parse_spec(o) for o in opts), epochs, train=train, test=test)
    return "/mnist?" + urlencode(cfg.to_query(), doseq=True)


def try_it(*links: tuple[str, str]) -> None:
    """The "Try it" links that end a section."""
    st.markdown("**Try it:** " + " · ".join(f"[{label}]({href})" for label, href in links))


def paths_of(runs: list[Run], labels: list[str]) -> list[PathData]:
    """Runs as the figures draw them, one palette colour each."""
    return [PathData(lab, r.path, r.loss, color(i), r.diverged_at) for i, (lab, r) in enumerate(zip(labels, runs))]


def series(labels_values: list[tuple[str, np.ndarray]]) -> tuple[list[PathData], list[np.ndarray]]:
    """Named value series (not runs on a surface) as curve-figure inputs."""
    empty = np.zeros((0, 2), np.float32)
    return (
        [PathData(lab, empty, empty[:, 0], color(i)) for i, (lab, _) in enumerate(labels_values)],
        [v for _, v in labels_values],
    )


def demo_facts(demo: Demo) -> Facts:
    """What a demo's sentence quotes, from its runs in the shared cache."""
    return facts(demo, demo_runs(demo))


@shared(max_entries=16)
def formula_grid(expr: str, domain: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A formula demo's loss grid, cached by its text (a formula's Surface holds a compiled
    function, which the first-paint record cannot pickle)."""
    return loss_grid(custom_surface(expr, domain))


def demo_paths(target, demo: Demo, labels: list[str], key: str) -> None:
    """A demo's paths on its surface's top view, in ``target``: the runs its sentence measured."""
    surface = demo.problem
    paths = paths_of(demo_runs(demo), labels)
    xs, ys, z = formula_grid(demo.expr, demo.domain or DEFAULT_DOMAIN) if demo.expr else grid(surface)
    minima = [(m.x, m.y, m.f) for m in surface.minima] or [(0.0, 0.0, 0.0)]
    fig = contour_figure(xs, ys, z, paths, minima, demo.start, 0.0, surface.log_scale, key=key)
    chart(target, fig, key=key)


def demo_losses(target, demo: Demo, labels: list[str], key: str) -> None:
    """A demo's loss curves (loss − min f, log), in ``target``: the runs its sentence measured."""
    surface = demo.problem
    runs = demo_runs(demo)
    gaps = [r.loss - (surface.f_min or 0.0) for r in runs]
    chart(target, curves_figure(paths_of(runs, labels), [("loss − min f (log)", gaps, True)], height=280), key=key)


@shared(max_entries=8)
def demo_fan(demo: Demo, key: str, values: tuple[float, ...]) -> Fan:
    """The demo's first racer at each of ``values`` of ``key``, in one call (optviz.core.engine.fan)."""
    spec = parse_surface_spec(demo.opts[0])
    return run_fan(demo.problem, demo.start, demo.steps, spec, key, np.asarray(values))


def scrub_figure(target, demo: Demo, key: str, values: tuple[float, ...], label: str, chart_key: str) -> FanData:
    """The demo's top view with the what-if scrubber over ``key`` of its first racer (on a catalogue
    surface): a slider whose every step is a run already in the page, so dragging it asks the
    server nothing. Starts at the racer's own value; returns the fan as drawn."""
    surface = demo.problem
    spec = parse_surface_spec(demo.opts[0])
    fan = demo_fan(demo, key, values)
    current = int(np.argmin(np.abs(fan.values - float(spec.settings()[key]))))
    arrays = (fan.values, fan.paths, fan.losses, fan.diverged_at)
    data = FanData(label, REGISTRY[spec.name].display_name, color(0), key, *arrays, current)
    xs, ys, z = grid(surface)
    floor = surface.f_min if surface.f_min is not None else float(np.nanmin(z))
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    base = contour_figure(
        xs, ys, z, [data.member(current)], minima, demo.start, floor, surface.log_scale, key=chart_key
    )
    log = surface.f_min is not None
    chart(target, scrub_top(base, data, floor, log, surface_picture(surface, floor, surface.log_scale)), key=chart_key)
    return data

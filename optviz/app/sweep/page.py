"""The Sweep page: thousands of runs per click, as heatmaps you can click into.

Its view is a :class:`~optviz.link.SweepConfig`, kept in the link (optviz.app.kit.views): the
controls are built from it, and every change writes it back. The inspected cell is one value
of that view, so its sliders, its marker on the heatmaps and the path drawn below always agree.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz.app.kit.boot import release_freed_memory
from optviz.app.kit.boxes import show_fitted
from optviz.app.kit.cache import Shared, shared
from optviz.app.kit.charts import chart
from optviz.app.kit.hover import hover_preview
from optviz.app.kit.jobs import compute_with_progress
from optviz.app.kit.notes import input_problem, link_warnings
from optviz.app.kit.runs import grid, racer
from optviz.app.kit.share import share_section
from optviz.app.kit.views import arrive, settle
from optviz.app.sweep import controls as controls
from optviz.core.engine.fan import Preview, run_preview
from optviz.core.engine.fan import prepare as fan_prepare
from optviz.core.engine.sweep import SweepResult, cell_settings, estimated_seconds, run_sweep
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import SURFACES
from optviz.link import SweepConfig
from optviz.link.export import sweep_csv, sweep_json
from optviz.plots.common import PALETTE, PathData
from optviz.plots.curves import curves_figure
from optviz.plots.heatmap import heatmap_figure
from optviz.plots.surface_figures import contour_figure

CLICKABLE_CELLS = 16_384  # above this, cells are picked with the sliders only (the click layer gets heavy)
SWEEPS = Shared(max_entries=32, name="sweeps")  # whole grids: up to 65,536 cells of metrics each
DIVERGED = -2  # a basin map's value for a run that diverged (-1: it ended at no minimum)
METRIC_TITLES = {
    "loss": "log10(final loss − min f)",
    "steps": "steps to reach the tolerance",
    "diverged": "diverged (1) or not (0)",
    "basin": "which minimum (basins of attraction)",
}


def sweep(cfg: SweepConfig, spec) -> SweepResult:
    """One optimizer's grid: shared, computed once, with progress (optviz.app.kit.jobs)."""
    key = (cfg.surface, spec, cfg.x, cfg.y, cfg.start, cfg.steps, cfg.tol)
    label = f"{REGISTRY[spec.name].display_name}: {cfg.x.n * cfg.y.n} runs"
    return compute_with_progress(
        SWEEPS,
        key,
        lambda report: run_sweep(
            SURFACES[cfg.surface],
            spec,
            cfg.x,
            cfg.y,
            cfg.start,
            cfg.steps,
            cfg.tol,
            progress=lambda done, total: report(done / total, f"{done} of {total} runs"),
        ),
        label,
        estimate=estimated_seconds(spec, cfg.x.n * cfg.y.n, cfg.steps),
    )


def page() -> None:
    """The whole page."""
    st.title("Sweeps: thousands of runs per click")
    st.caption("Each cell is a full run. Is Adam really robust to its hyperparameters? Pick two axes and see.")
    cfg, warnings = arrive(SweepConfig, "sweep")
    link_warnings(warnings)
    with st.sidebar:
        cfg, problems = controls.sidebar(cfg)
    show_fitted()
    for source, problem in problems:
        input_problem(source, problem)
    cfg = controls.view_options(cfg)
    settle("sweep", cfg)
    results = [sweep(cfg, s) for s in cfg.specs]
    st.caption(
        " · ".join(
            f"{REGISTRY[s.name].display_name}: {cfg.x.n * cfg.y.n} runs × {cfg.steps} steps in {r.seconds:.2f} s"
            for s, r in zip(cfg.specs, results)
        )
    )
    heatmaps(cfg, results)
    inspect(cfg)
    share_section(
        "sweep",
        [
            ("Grid metrics (CSV)", sweep_csv, "text/csv", "csv"),
            ("Configuration and metrics (JSON)", sweep_json, "application/json", "json"),
        ],
        cfg,
        results,
    )


def _metric(result: SweepResult, metric: str, f_min: float | None) -> np.ndarray:
    if metric == "loss":
        gap = result.final_loss - (f_min if f_min is not None else np.nanmin(result.final_loss))
        return np.log10(np.maximum(gap, 1e-12))
    if metric == "steps":
        return np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(float)
    if metric == "diverged":
        return result.diverged.astype(float)
    assert result.minimum_index is not None, "basins are drawn only for grids of starts"
    return np.where(result.diverged, DIVERGED, result.minimum_index).astype(float)  # basins


def _shared_range(zs: list[np.ndarray]) -> tuple[float, float] | None:
    """One colour range for all the heatmaps, so that equal colours mean equal values."""
    finite = np.concatenate([z[np.isfinite(z)] for z in zs])
    return (float(finite.min()), float(finite.max())) if finite.size else None


def heatmaps(cfg: SweepConfig, results: list[SweepResult]) -> None:
    """One heatmap per optimizer, side by side, the default, best and inspected cells marked."""
    surface = SURFACES[cfg.surface]
    zs = [_metric(r, cfg.metric, surface.f_min) for r in results]
    shared = _shared_range(zs) if cfg.shared_scale and len(zs) > 1 and cfg.metric != "basin" else None
    title = METRIC_TITLES[cfg.metric] + (" (one scale for both)" if shared else "")
    names = [f"minimum ({sig(m.x)}, {sig(m.y)})" for m in surface.minima]
    for k, (spec, result, z, column) in enumerate(zip(cfg.specs, results, zs, st.columns(len(cfg.specs)))):
        fig = heatmap_figure(
            z,
            cfg.x.values,
            cfg.y.values,
            cfg.x.key,
            cfg.y.key,
            cfg.x.log,
            cfg.y.log,
            title,
            spec.label(tuned=(cfg.x.key, cfg.y.key)),
            cfg.default_cell(spec),
            result.best_cell(),
            cfg.cell_index(),
            categorical=names if cfg.metric == "basin" else None,
            outcomes=("no minimum reached", "diverged"),
            clickable=cfg.x.n * cfg.y.n <= CLICKABLE_CELLS,
            z_range=shared,
            equal_scale=cfg.x.is_start and cfg.y.is_start,
        )
        key = f"sw_heat_{k}"
        chart(column, fig, key=key, on_select=lambda key=key: controls.clicked(key), selection_mode="points")
        column.caption(
            f"diverged: {int(result.diverged.sum())} of {cfg.x.n * cfg.y.n} · reached the tolerance: "
            f"{int((result.steps_to_tol >= 0).sum())}"
        )


def inspect(cfg: SweepConfig) -> None:
    """The inspected cell's runs: their paths on the surface and their loss curves."""
    st.subheader("Inspect a cell")
    st.caption(
        "Point at a cell in a heatmap to see its path at once, click it for its own run, or pick its values "
        "under the charts."
        + ("" if cfg.x.n * cfg.y.n <= CLICKABLE_CELLS else f" (Clicking needs at most {CLICKABLE_CELLS} cells.)")
    )
    row, col = cfg.cell_index()
    surface = SURFACES[cfg.surface]
    runs, labels = [], []
    for spec in cfg.specs:
        cell_spec, cell_start = cell_settings(spec, cfg.x, cfg.y, row, col, cfg.start)
        runs.append(racer(cfg.surface, "", surface.domain, tuple(map(float, cell_start)), cfg.steps, cell_spec, 0.0, 0))
        labels.append(cell_spec.label())
    paths = [PathData(lab, r.path, r.loss, PALETTE[i], r.diverged_at) for i, (lab, r) in enumerate(zip(labels, runs))]
    xs, ys, z = grid(surface)
    floor = surface.f_min if surface.f_min is not None else float(np.nanmin(z))
    start = tuple(runs[0].path[0]) if len(runs[0].path) else cfg.start
    a, b = st.columns(2)
    cell_fig = contour_figure(
        xs, ys, z, paths, [(m.x, m.y, m.f) for m in surface.minima], start, floor, surface.log_scale, key="sweep_cell"
    )
    chart(a, cell_fig, key="sw_cell_path")
    gap = [r.loss - (surface.f_min if surface.f_min is not None else 0.0) for r in runs]
    chart(
        b,
        curves_figure(
            paths, [("loss − min f (log)" if surface.f_min is not None else "loss", gap, surface.f_min is not None)]
        ),
        key="sw_cell_loss",
    )
    for lab, r in zip(labels, runs):
        if r.diverged_at is not None:
            st.error(f"{lab} diverged at step {r.diverged_at}.")
    _hover_previews(cfg, [_trace_index(cell_fig, lab) for lab in labels])
    controls.cell_sliders(cfg)  # under the charts: pointing at a heatmap, one sees the path just below it


def _trace_index(fig: dict, name: str) -> int:
    return next(i for i, t in enumerate(fig["data"]) if t.get("name") == name)


def _hover_previews(cfg: SweepConfig, traces: list[int]) -> None:
    """Pointing at a heatmap cell draws the nearest previewed cell's paths at once (optviz.app.kit.hover).

    Left out until this server has compiled the fans' program, which the first visit starts in the
    background: the page never waits for a preview."""
    surface = SURFACES[cfg.surface]
    if cfg.x.n * cfg.y.n > CLICKABLE_CELLS or not all(
        fan_prepare(surface, s, {cfg.x.key, cfg.y.key}, release_freed_memory) for s in cfg.specs
    ):
        return
    previews = [preview(cfg.surface, s, cfg.x, cfg.y, tuple(cfg.start), cfg.steps) for s in cfg.specs]
    first = previews[0]
    names = [
        [f"{cfg.x.key}={sig(cfg.x.values[c])}, {cfg.y.key}={sig(cfg.y.values[r])}" for c in first.cols]
        for r in first.rows
    ]
    heatmaps = [f"sw_heat_{k}" for k in range(len(cfg.specs))]
    hover_preview("sw_hover", heatmaps, "sw_cell_path", traces, previews, names, cfg.x.n)


@shared(max_entries=64, ship=False)  # not in the first-paint record: a page shows none until the fans compile
def preview(surface: str, spec, x, y, start: tuple, steps: int) -> Preview:
    """The paths of a sweep's 8 x 8 sub-grid, for hover previews (shared across sessions)."""
    return run_preview(SURFACES[surface], spec, x, y, start, steps)

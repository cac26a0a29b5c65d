"""The Sweep page: thousands of runs per click, as heatmaps you can click into."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from optviz.limits import MAX_SWEEP_SIDE, MAX_SWEEP_STEPS
from optviz.numbers import sig
from optviz.optimizers import REGISTRY
from optviz.plots.common import PathData, color
from optviz.plots.curves import curves_figure
from optviz.plots.heatmap import heatmap_figure
from optviz.plots.landscape import contour_figure
from optviz.analysis import loss_grid
from optviz.spec import OptSpec, SpecError, SweepAxis, parse_axis, parse_spec, parse_sweep_steps
from optviz.surfaces import SURFACES
from optviz.sweep import SweepResult, cell_settings, run_sweep
from optviz.link import RaceConfig
from optviz.ui.cache import Shared
from optviz.ui.compute import racer
from optviz.ui.notes import input_problem, link_warnings
from optviz.ui.charts import chart

CLICKABLE_CELLS = 16_384  # above this, cells are picked with the sliders only (the click layer gets heavy)
METRICS = {
    "log10 final loss − min f": "loss",
    "steps to reach the tolerance": "steps",
    "diverged": "diverged",
    "which minimum (basins of attraction)": "basin",
}


SWEEPS = Shared(max_entries=32)  # whole grids: up to 65,536 cells of metrics each


def _sweep(surface: str, spec: OptSpec, x: SweepAxis, y: SweepAxis, start: tuple[float, float], steps: int,
           tol: float) -> SweepResult:
    """The grid's metrics from the shared cache, or computed under a progress bar."""
    key = (surface, spec, x, y, start, steps, tol)
    result = SWEEPS.get(key)
    if result is None:
        bar = st.progress(0.0, text=f"{REGISTRY[spec.name].display_name}: {x.n * y.n} runs…")
        result = SWEEPS.get_or_compute(key, lambda: run_sweep(
            SURFACES[surface], spec, x, y, start, steps, tol,
            progress=lambda done, total: bar.progress(done / total, text=f"{done} of {total} runs")))
        bar.empty()
    return result


def _sweepable(specs: list[OptSpec]) -> list[str]:
    keys = ["lr", "x", "y"]
    common = set.intersection(*(set(h.name for h in REGISTRY[s.name].hparams if h.kind == "float") for s in specs))
    return keys + sorted(common - set(keys), key=lambda k: REGISTRY[specs[0].name].hparam_names.index(k))


def _axis_controls(label: str, specs: list[OptSpec], default_key: str, surface) -> SweepAxis:
    # Defaults go into session state rather than value=: a link may have set these keys already.
    ss = st.session_state
    keys = _sweepable(specs)
    if ss.get(f"sw_{label}_key") not in keys:
        ss[f"sw_{label}_key"] = default_key if default_key in keys else keys[0]
    key = st.selectbox(f"{label} axis", keys, key=f"sw_{label}_key")
    if key in ("x", "y"):
        lo, hi = surface.domain[:2] if key == "x" else surface.domain[2:]
        log_default = False
    else:
        hp = REGISTRY[specs[0].name].hparam(key)
        lo, hi = hp.slider
        log_default = hp.log
    ss.setdefault(f"sw_{label}_lo_{key}", float(lo))
    ss.setdefault(f"sw_{label}_hi_{key}", float(hi))
    ss.setdefault(f"sw_{label}_n", 48)
    ss.setdefault(f"sw_{label}_log_{key}", log_default)
    c1, c2, c3 = st.columns(3)
    low = c1.number_input("from", key=f"sw_{label}_lo_{key}", format="%g")
    high = c2.number_input("to", key=f"sw_{label}_hi_{key}", format="%g")
    n = c3.number_input("cells", 2, MAX_SWEEP_SIDE, key=f"sw_{label}_n")
    log = st.checkbox("log scale", key=f"sw_{label}_log_{key}", disabled=key in ("x", "y"))
    return SweepAxis(key, float(low), float(high), int(n), bool(log))


def _load_link() -> list[str]:
    """On a session's first visit, set the controls from the link (the CLI's syntax); returns warnings."""
    ss = st.session_state
    if ss.get("sw_link_read"):
        return []
    ss["sw_link_read"] = True
    q = {k: st.query_params.get(k) for k in ("surface", "opt", "opt2", "x", "y", "steps")}
    if q["x"] is None and q["y"] is None:
        return []  # not a sweep link (perhaps the Surfaces page's own query, kept on navigation)
    warnings = []
    if q["surface"] is not None:
        if q["surface"] in SURFACES:
            ss["sw_surface"] = q["surface"]
        else:
            warnings.append(f"surface: unknown surface {q['surface']!r}; choose one of: {', '.join(SURFACES)}")
    specs = []
    for key in ("opt", "opt2"):
        if q[key]:
            try:
                specs.append(parse_spec(q[key]))
                ss[f"sw_{key}"] = q[key]
            except SpecError as err:
                warnings.append(f"{key}: {err}")
    for label in ("x", "y"):
        if q[label]:
            try:
                axis = parse_axis(label, q[label], specs[0].name if specs else "adam")
                ss[f"sw_{label}_key"] = axis.key
                ss[f"sw_{label}_lo_{axis.key}"], ss[f"sw_{label}_hi_{axis.key}"] = axis.low, axis.high
                ss[f"sw_{label}_n"], ss[f"sw_{label}_log_{axis.key}"] = max(axis.n, 2), axis.log
            except SpecError as err:
                warnings.append(str(err))
    if q["steps"] is not None:
        try:
            ss["sw_steps"] = parse_sweep_steps(q["steps"])
        except SpecError as err:
            warnings.append(str(err))
    return warnings


def _validate_axis(axis: SweepAxis, specs: list[OptSpec]) -> str | None:
    """One line saying what is wrong with an axis for these optimizers, or None."""

    text = f"{axis.key}={axis.low!r}:{axis.high!r}:{axis.n}" + (":log" if axis.log else "")
    try:
        for s in specs:
            parse_axis(f"{axis.key} axis", text, s.name)
    except SpecError as err:
        return str(err)
    return None


def _cell_of(axis: SweepAxis, value: float) -> int:
    vals = np.asarray(axis.values)
    if axis.log:
        return int(np.argmin(np.abs(np.log(vals) - math.log(max(value, 1e-300)))))
    return int(np.argmin(np.abs(vals - value)))


def _metric(result: SweepResult, metric: str, f_min: float | None) -> tuple[np.ndarray, str]:
    if metric == "loss":
        gap = result.final_loss - (f_min if f_min is not None else np.nanmin(result.final_loss))
        return np.log10(np.maximum(gap, 1e-12)), "log10(loss − min f)"
    if metric == "steps":
        return np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(float), "steps"
    if metric == "diverged":
        return result.diverged.astype(float), "diverged (1)"
    return result.minimum_index.astype(float), "minimum"


def _on_click(key: str, axes: tuple[SweepAxis, SweepAxis]) -> None:
    """A click on a heatmap cell selects that cell for inspection."""
    sel = st.session_state.get(key)
    points = (sel or {}).get("selection", {}).get("points", []) if sel else []
    if points:
        x, y = axes
        px, py = points[0]["x"], points[0]["y"]
        st.session_state["sw_cell_col"] = _cell_of(x, 10**px if x.log else px)
        st.session_state["sw_cell_row"] = _cell_of(y, 10**py if y.log else py)


def page() -> None:
    """The whole page."""
    st.title("Sweeps: thousands of runs per click")
    st.caption("Each cell is a full run. Is Adam really robust to its hyperparameters? Pick two axes and see.")
    link_warnings(_load_link())
    ss = st.session_state
    ss.setdefault("sw_surface", "rosenbrock")
    ss.setdefault("sw_opt", "adam")
    ss.setdefault("sw_opt2", "")
    ss.setdefault("sw_steps", 500)
    with st.sidebar:
        surface = SURFACES[st.selectbox("Surface", list(SURFACES), key="sw_surface",
                                        format_func=lambda n: SURFACES[n].title)]
        texts = [st.text_input("Optimizer (SPEC)", key="sw_opt",
                               help="name[:key=value,...]: the settings that stay fixed"),
                 st.text_input("Compare with (optional SPEC)", key="sw_opt2",
                               help="a second optimizer over the same grid, side by side; the axes must suit both")]
        specs, errors = [], []
        for t in texts:
            if t.strip():
                try:
                    specs.append(parse_spec(t))
                except SpecError as err:
                    errors.append((t, str(err)))
        for text, e in errors:
            input_problem(f"The optimizer {text!r}", e)
        if not specs:
            specs = [parse_spec("adam")]
        x = _axis_controls("x", specs, "lr", surface)
        y = _axis_controls("y", specs, "b1" if "b1" in _sweepable(specs) else "y", surface)
        steps = st.slider("steps", 1, MAX_SWEEP_STEPS, key="sw_steps")
        tol = st.select_slider("tolerance", [1e-1, 1e-2, 1e-3, 1e-4, 1e-6], 1e-3, key="sw_tol",
                               format_func=sig)
        c1, c2 = st.columns(2)
        sx = c1.number_input("start x", value=float(surface.start[0]), key=f"sw_sx_{surface.name}", format="%g")
        sy = c2.number_input("start y", value=float(surface.start[1]), key=f"sw_sy_{surface.name}", format="%g")
    start = (float(sx), float(sy))
    problems = [p for p in (_validate_axis(x, specs), _validate_axis(y, specs)) if p]
    if x.key == y.key:
        problems.append("the two axes must differ")
    if x.n * y.n > 65536:
        problems.append(f"{x.n} x {y.n} cells; at most 65536")
    if problems:
        for p in problems:
            st.error(f"Sweep not run: {p}")
        return

    start_grid = x.is_start or y.is_start
    metric_names = [m for m in METRICS if start_grid or METRICS[m] != "basin"]
    metric = METRICS[st.radio("Colour by", metric_names, horizontal=True, key="sw_metric")]
    results = [_sweep(surface.name, s, x, y, start, steps, tol) for s in specs]
    st.caption(" · ".join(f"{REGISTRY[s.name].display_name}: {x.n * y.n} runs × {steps} steps in {r.seconds:.2f} s"
                          for s, r in zip(specs, results)))

    row = st.session_state.get("sw_cell_row")
    col = st.session_state.get("sw_cell_col")
    selected = (row, col) if row is not None and row < y.n and col is not None and col < x.n else None
    columns = st.columns(len(specs))
    minima_names = [f"({m.x:.2f}, {m.y:.2f})" for m in surface.minima]
    for k, (spec, result, column) in enumerate(zip(specs, results, columns)):
        z, bar = _metric(result, metric, surface.f_min)
        default = (_cell_of(y, start[1] if y.is_start else spec.hparams[y.key]),
                   _cell_of(x, start[0] if x.is_start else spec.hparams[x.key]))
        losses = np.where(result.diverged, np.inf, result.final_loss)
        best = np.unravel_index(int(np.argmin(losses)), losses.shape) if np.isfinite(losses).any() else None
        fig = heatmap_figure(z, x.values, y.values, x.key, y.key, x.log, y.log, bar, spec.label(),
                             default, best, selected, categorical=minima_names if metric == "basin" else None,
                             clickable=x.n * y.n <= CLICKABLE_CELLS)
        chart_key = f"sw_heat_{k}"
        chart(column, fig, key=chart_key, on_select=lambda key=chart_key: _on_click(key, (x, y)),
                            selection_mode="points")
        column.caption(f"diverged: {int(result.diverged.sum())} of {x.n * y.n} · reached the tolerance: "
                       f"{int((result.steps_to_tol >= 0).sum())}")
    _inspect(surface, specs, x, y, start, steps)


def _inspect(surface, specs, x: SweepAxis, y: SweepAxis, start, steps: int) -> None:
    st.subheader("Inspect a cell")
    st.caption("Click a cell in a heatmap, or pick its values here."
               + ("" if x.n * y.n <= CLICKABLE_CELLS else f" (Clicking needs at most {CLICKABLE_CELLS} cells.)"))
    ss = st.session_state
    if ss.get("sw_cell_col") is None or ss["sw_cell_col"] >= x.n:
        ss["sw_cell_col"] = x.n // 2
    if ss.get("sw_cell_row") is None or ss["sw_cell_row"] >= y.n:
        ss["sw_cell_row"] = y.n // 2
    c1, c2 = st.columns(2)
    col = c1.select_slider(x.key, options=list(range(x.n)), format_func=lambda j: sig(x.values[j]),
                           key="sw_cell_col")
    row = c2.select_slider(y.key, options=list(range(y.n)), format_func=lambda i: sig(y.values[i]),
                           key="sw_cell_row")
    runs, labels = [], []
    for spec in specs:
        cell_spec, cell_start = cell_settings(spec, x, y, row, col, start)
        runs.append(racer(surface.name, "", RaceConfig().domain, tuple(map(float, cell_start)), steps, cell_spec, 0.0, 0))
        labels.append(cell_spec.label())
    paths = [PathData(lab, r.path, r.loss, color(i), r.diverged_at) for i, (lab, r) in enumerate(zip(labels, runs))]
    xs, ys, z = loss_grid(surface)
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    floor = surface.f_min if surface.f_min is not None else float(np.nanmin(z))
    a, b = st.columns(2)
    chart(a, contour_figure(xs, ys, z, paths, minima, tuple(runs[0].path[0]) if len(runs[0].path) else start,
                                  floor, surface.log_scale, key="sweep_cell"), key="sw_cell_path")
    gap = [r.loss - (surface.f_min if surface.f_min is not None else 0.0) for r in runs]
    chart(b, curves_figure(paths, [("loss − min f (log)" if surface.f_min is not None else "loss", gap,
                                          surface.f_min is not None)]), key="sw_cell_loss")
    for lab, r in zip(labels, runs):
        if r.diverged_at is not None:
            st.error(f"{lab} diverged at step {r.diverged_at}.")

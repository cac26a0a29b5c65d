"""The Sweep page's controls: built from its view, read back into a new view.

Every value goes through the validators the link and the CLI use; a refused one is reported
(naming the control) and the view keeps its previous value, so the picture never jumps.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optviz.app.kit.boxes import number_box
from optviz.app.kit.rules import rules_box
from optviz.app.kit.views import fresh, seed
from optviz.core.limits import MAX_COORD, MAX_SWEEP_SIDE, MAX_SWEEP_STEPS
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import (
    OptSpec,
    SpecError,
    SweepAxis,
    format_spec,
    parse_axis,
    parse_spec,
    parse_surface_spec,
    sweepable_keys,
)
from optviz.link import TOLERANCES, SweepConfig
from optviz.link.sweep_view import METRICS, default_axis, format_axis, nearest_index

METRIC_LABELS = {
    "loss": "log10 final loss − min f",
    "steps": "steps to reach the tolerance",
    "diverged": "diverged",
    "basin": "which minimum (basins of attraction)",
}
Problems = list[tuple[str, str]]


def _widget_values(cfg: SweepConfig) -> dict:
    values = {
        "sw_surface": cfg.surface,
        "sw_opt": format_spec(cfg.opt),
        "sw_opt2": format_spec(cfg.opt2) if cfg.opt2 else "",
        "sw_steps": cfg.steps,
        "sw_tol": cfg.tol,
        "sw_sx": float(cfg.start[0]),
        "sw_sy": float(cfg.start[1]),
        "sw_metric": cfg.metric,
        "sw_shared": cfg.shared_scale,
        "sw_rules": "\n".join(cfg.rules),
    }
    for label, axis in (("x", cfg.x), ("y", cfg.y)):
        values.update(
            {
                f"sw_{label}_key": axis.key,
                f"sw_{label}_lo": float(axis.low),
                f"sw_{label}_hi": float(axis.high),
                f"sw_{label}_n": axis.n,
                f"sw_{label}_log": axis.log,
            }
        )
    return values


def sidebar(cfg: SweepConfig) -> tuple[SweepConfig, Problems]:
    """Draw the grid's controls (seeded from ``cfg``); returns the view they describe, and refusals."""
    seed(_widget_values(cfg), overwrite=fresh("sweep"))
    st.selectbox(
        "Surface", list(SURFACES), key="sw_surface", format_func=lambda n: SURFACES[n].title, on_change=_surface_changed
    )
    rules, problems = rules_box("sw_rules")
    with in_scope(rules):  # the boxes may name them
        opt = _spec_box(
            "Optimizer (SPEC)", "sw_opt", cfg.opt, problems, help="name[:key=value,...]: the settings that stay fixed"
        )
        opt2_text = st.text_input(
            "Compare with (optional SPEC)",
            key="sw_opt2",
            help="a second optimizer over the same grid, side by side; it needs both axes",
        )
        x = _axis("x", opt, cfg.x, problems)
        y = _axis("y", opt, cfg.y, problems)
        if x.key == y.key:
            why = f"the two axes must differ (both are {x.key}); keeping {format_axis(cfg.y)}"
            problems.append(("The y axis", why))
            y = cfg.y if cfg.y.key != x.key else default_axis("x" if x.key != "x" else "y", opt, cfg.surface)
        opt2 = _second(opt2_text, x, y, problems)
    st.slider("steps", 1, MAX_SWEEP_STEPS, key="sw_steps")
    st.select_slider("tolerance", TOLERANCES, key="sw_tol", format_func=sig)
    c1, c2 = st.columns(2)
    number_box(c1, "start x", "sw_sx", -MAX_COORD, MAX_COORD, format="%g")
    number_box(c2, "start y", "sw_sy", -MAX_COORD, MAX_COORD, format="%g")
    ss = st.session_state
    new = replace(
        cfg,
        surface=ss["sw_surface"],
        opt=opt,
        opt2=opt2,
        x=x,
        y=y,
        steps=int(ss["sw_steps"]),
        tol=float(ss["sw_tol"]),
        start=(float(ss["sw_sx"]), float(ss["sw_sy"])),
        rules=rules,
    )
    return new, problems


def _spec_box(label: str, key: str, previous: OptSpec, problems: Problems, help: str) -> OptSpec:
    text = st.text_input(label, key=key, help=help)
    try:
        return parse_surface_spec(text)
    except SpecError as err:
        problems.append((f"The optimizer {text!r}", f"{err}; keeping {format_spec(previous)}"))
        return previous


def _second(text: str, x: SweepAxis, y: SweepAxis, problems: Problems) -> OptSpec | None:
    """The comparison optimizer, when given, valid, and sweepable along both axes."""
    if not text.strip():
        return None
    try:
        opt2 = parse_surface_spec(text)
    except SpecError as err:
        problems.append((f"The comparison {text!r}", f"{err}; it is left out"))
        return None
    for label, axis in (("x", x), ("y", y)):
        try:
            parse_axis(label, format_axis(axis), opt2.name)
        except SpecError:
            problems.append(
                (
                    f"The comparison {text!r}",
                    f"{REGISTRY[opt2.name].display_name} has no {axis.key} "
                    f"(the {label} axis); pick axes both optimizers have",
                )
            )
            return None
    return opt2


def _axis_keys(opt: OptSpec) -> list[str]:
    return ["x", "y"] + list(sweepable_keys(opt.name))


def _axis(label: str, opt: OptSpec, previous: SweepAxis, problems: Problems) -> SweepAxis:
    """One axis's controls: what it sweeps, from, to, how many cells, log-spaced or not."""
    ss = st.session_state
    keys = _axis_keys(opt)
    if ss[f"sw_{label}_key"] not in keys:  # the optimizer changed to one without this key: say so, then reset
        problems.append(
            (
                f"The {label} axis",
                f"{REGISTRY[opt.name].display_name} has no {ss[f'sw_{label}_key']}; the axis now sweeps {keys[2]}",
            )
        )
        _reset_axis(label, keys[2], opt)
    st.selectbox(f"{label} axis", keys, key=f"sw_{label}_key", on_change=_key_changed, args=(label,))
    c1, c2, c3 = st.columns(3)
    c1.number_input("from", key=f"sw_{label}_lo", format="%g")
    c2.number_input("to", key=f"sw_{label}_hi", format="%g")
    number_box(c3, "cells", f"sw_{label}_n", 1, MAX_SWEEP_SIDE, whole=True, source=f"The {label} axis's cells")
    st.checkbox("log scale", key=f"sw_{label}_log", disabled=ss[f"sw_{label}_key"] in ("x", "y"))
    axis = SweepAxis(
        ss[f"sw_{label}_key"],
        float(ss[f"sw_{label}_lo"]),
        float(ss[f"sw_{label}_hi"]),
        int(ss[f"sw_{label}_n"]),
        bool(ss[f"sw_{label}_log"]) and ss[f"sw_{label}_key"] not in ("x", "y"),
    )
    try:
        return parse_axis(label, format_axis(axis), opt.name)
    except SpecError as err:
        problems.append((f"The {label} axis", f"{err}; keeping {format_axis(previous)}"))
        return previous


def _reset_axis(label: str, key: str, opt: OptSpec) -> None:
    ss = st.session_state
    axis = default_axis(key, opt, ss["sw_surface"], int(ss.get(f"sw_{label}_n", 48)))
    ss.update(
        {
            f"sw_{label}_key": key,
            f"sw_{label}_lo": float(axis.low),
            f"sw_{label}_hi": float(axis.high),
            f"sw_{label}_log": axis.log,
        }
    )


def _key_changed(label: str) -> None:
    """A new key for an axis: its range becomes that key's whole slider range (or the domain)."""
    ss = st.session_state
    try:
        opt = parse_spec(ss["sw_opt"])
    except SpecError:
        opt = parse_spec("adam")
    _reset_axis(label, ss[f"sw_{label}_key"], opt if ss[f"sw_{label}_key"] in _axis_keys(opt) else parse_spec("adam"))


def _surface_changed() -> None:
    """Another surface: start from its default start; start-coordinate axes span its domain."""
    ss = st.session_state
    surface = SURFACES[ss["sw_surface"]]
    ss["sw_sx"], ss["sw_sy"] = map(float, surface.start)
    for label in ("x", "y"):
        if ss[f"sw_{label}_key"] in ("x", "y"):
            _key_changed(label)


def view_options(cfg: SweepConfig) -> SweepConfig:
    """How the grid is coloured, and which cell is inspected."""
    ss = st.session_state
    names = [m for m in METRICS if m != "basin" or cfg.start_grid]
    if ss.get("sw_metric") not in names:
        ss["sw_metric"] = "loss"
    c1, c2 = st.columns([3, 1])
    c1.radio("Colour by", names, format_func=METRIC_LABELS.get, horizontal=True, key="sw_metric")
    c2.toggle(
        "one colour scale",
        key="sw_shared",
        disabled=cfg.opt2 is None,
        help="the same colours for the same values in both heatmaps (off: each its own range)",
    )
    cfg = replace(cfg, metric=ss["sw_metric"], shared_scale=bool(ss["sw_shared"]))
    xk, yk = cell_keys(cfg)
    row, col = cfg.cell_index()
    seed({xk: col, yk: row})
    return cfg.at_cell(int(ss[yk]), int(ss[xk]))


def cell_keys(cfg: SweepConfig) -> tuple[str, str]:
    """The cell sliders' keys: one pair per grid, so a new grid's sliders start at the inspected values."""
    return f"sw_cell_x_{format_axis(cfg.x)}", f"sw_cell_y_{format_axis(cfg.y)}"


def cell_sliders(cfg: SweepConfig) -> None:
    """Two sliders over the grid's values, bound to the inspected cell."""
    xk, yk = cell_keys(cfg)
    c1, c2 = st.columns(2)
    c1.select_slider(cfg.x.key, options=list(range(cfg.x.n)), key=xk, format_func=lambda j: sig(cfg.x.values[j]))
    c2.select_slider(cfg.y.key, options=list(range(cfg.y.n)), key=yk, format_func=lambda i: sig(cfg.y.values[i]))


def clicked(chart_key: str) -> None:
    """A click on a heatmap cell: that cell is inspected (the sliders move to it)."""
    cfg = st.session_state.get("views", {}).get("sweep")
    points = ((st.session_state.get(chart_key) or {}).get("selection") or {}).get("points") or []
    if cfg is None or not points:
        return
    px, py = points[0]["x"], points[0]["y"]
    xk, yk = cell_keys(cfg)
    st.session_state[xk] = nearest_index(cfg.x, 10**px if cfg.x.log else px)
    st.session_state[yk] = nearest_index(cfg.y, 10**py if cfg.y.log else py)

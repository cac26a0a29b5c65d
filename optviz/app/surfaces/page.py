"""The Surfaces explorer: sliders in, 3D descent paths out."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from optviz.app.kit import runs as runs_kit
from optviz.app.kit.boxes import show_fitted
from optviz.app.kit.charts import chart
from optviz.app.kit.notes import input_problem, link_warnings, markdown_table, or_dash
from optviz.app.kit.runs import cached_runs, cached_stability
from optviz.app.kit.share import share_section
from optviz.app.kit.views import begin, finish, view_fragment
from optviz.app.surfaces import controls, scrub, state
from optviz.app.surfaces.inside import inside_section
from optviz.app.surfaces.scene import Scene
from optviz.core.analysis.measures import distance_to_nearest_minimum, steps_to_tolerance
from optviz.core.numbers import sig
from optviz.core.problems.surfaces import Surface
from optviz.link import TOLERANCES, RaceConfig
from optviz.link.export import paths_csv, race_json
from optviz.plots.animation import playback_gif
from optviz.plots.common import PathData
from optviz.plots.curves import curves_figure, stability_figure
from optviz.plots.scrub import racer_path, scrub_3d, scrub_top
from optviz.plots.surface_figures import arrow_trace, contour_figure, playback_figure, surface_figure


def _labels(cfg) -> list[str]:
    labels = [s.label() for s in cfg.specs]
    # The same label twice (the same optimizer, same settings) gets a number to tell them apart.
    return [f"{lab} #{i + 1}" if labels.count(lab) > 1 else lab for i, lab in enumerate(labels)]


def results_table(runs, labels, surface, tol: float) -> list[dict]:
    """Final loss, steps to the tolerance and divergence step for every run (numbers as shown)."""
    # the divergence and switch columns only when some run diverged or switched: a narrow table fits a phone
    diverged = any(r.diverged_at is not None for r in runs)
    switched = any(r.switched_at is not None for r in runs)
    rows = []
    for label, run in zip(labels, runs):
        final = float(run.loss[-1]) if len(run.loss) else float("nan")
        dist = distance_to_nearest_minimum(run.path[-1:], surface) if len(run.path) else None
        row = {
            "optimizer": label,
            "final loss": sig(final),
            "distance to nearest minimum": sig(dist[0]) if dist is not None else "",
            f"steps to loss − min ≤ {sig(tol)}": or_dash(steps_to_tolerance(run.loss, surface, tol)),
        }
        if diverged:
            row["diverged at"] = or_dash(run.diverged_at)
        if switched:
            row["switched to SGD at"] = or_dash(run.switched_at)
        rows.append(row)
    return rows


def page() -> None:
    """The whole page: the view from the link, controls from the view, the view back into the link."""
    begin("surfaces")
    _, warnings = state.init_session()
    controls.sidebar()
    cfg, problems = state.current_config()
    surface = cfg.surface_obj()
    st.title("Optimizers on loss surfaces")
    _notes(warnings, problems)
    controls.quick_row()  # the first racer's optimizer and lr, in reach on a phone (the sidebar is a drawer there)
    scene = _scene(cfg, surface)
    if scene is None:
        finish("surfaces", state.current_view(cfg))
        return
    for lab, r in zip(scene.labels, scene.runs):
        if r.diverged_at is not None:
            st.error(f"{lab} diverged at step {r.diverged_at}: its path stops at the last finite point.")
    # The 3D and top views are drawn here but sent after the charts below them. A browser draws a
    # chart as it arrives and again when the page around it grows: on a cold first visit the 3D
    # view, the costliest to draw, was drawn three times (the same-content page's twice). Sent
    # later, it arrives with the page below it in place; interleaved cold visits spent 0.7-1.6 s
    # less of Chromium's CPU (docs/performance.md).
    top = st.container()
    _about(surface)
    _curves(scene)
    table(scene)
    st.subheader("Inside the optimizer")
    inside(scene)
    with top:
        views(scene)
    view = state.current_view(cfg)  # every control drawn: the whole view, settled once
    share_section(
        "surfaces",
        [
            ("Paths (CSV)", paths_csv, "text/csv", "csv"),
            ("Configuration (JSON)", race_json, "application/json", "json"),
        ],
        view,
        scene.runs,
    )
    finish("surfaces", view)


def _notes(warnings: list[str], problems: list[tuple[str, str]]) -> None:
    link_warnings(warnings)
    show_fitted()
    for source, problem in problems:
        input_problem(source, problem)
    note = st.session_state.pop("fair_race_note", None)
    if note:
        st.success(note)
    note = st.session_state.pop("surface_note", None)
    if note:
        st.info(note)


def _about(surface: Surface) -> None:
    if surface.name == "custom":
        st.code(surface.formula, language=None)
    else:
        st.latex(surface.formula)
    st.caption(surface.description)


def _scene(cfg: RaceConfig, surface: Surface) -> Scene | None:
    """The race's runs and the grid, with a note where f is not finite; None if nothing can be drawn."""
    runs = cached_runs(cfg)
    labels = _labels(cfg)
    paths = [PathData(lab, r.path, r.loss, c, r.diverged_at) for lab, r, c in zip(labels, runs, state.racer_colors())]
    xs, ys, z = runs_kit.grid(surface)
    finite = np.isfinite(z)
    if not finite.all():
        st.info(
            f"f is not finite on {100 * (1 - finite.mean()):.1f}% of the domain (log of a negative number, "
            "say): those parts are left blank, and a path that enters them stops there."
        )
    if not finite.any():
        st.error("f is not finite anywhere in this domain: there is nothing to draw. Change the formula or the domain.")
        return None
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    floor = surface.f_min if surface.f_min is not None else float(np.nanmin(np.where(finite, z, np.nan)))
    return Scene(cfg, surface, runs, labels, paths, (xs, ys, z), minima, floor)


# Fragments: a control that changes only one part of the page reruns only that part (and, then
# alone, writes the view into the link: optviz.app.kit.views).
part_of_view = view_fragment("surfaces", state.view_now)


@part_of_view
def views(scene: Scene) -> None:
    """The 3D view and the top view (still, or animated), with their display switches."""
    xs, ys, z = scene.grid
    ss = st.session_state
    ss.setdefault(f"log_{scene.surface.name}", scene.surface.log_scale)
    playing, arrows_on = bool(ss.get("playback")), bool(ss.get("arrows"))
    start_loss = float(scene.runs[0].loss[0]) if len(scene.runs[0].loss) else float("nan")
    # The charts first (on a phone, they are what one comes for), their toggles under them; the
    # toggles' values are in the session state before they are drawn.
    step = min(int(ss.get("frame", 0)), max(len(p.xy) for p in scene.paths) - 1) if playing else 0
    shown = runs_kit.heights(scene.surface, scene.floor, scene.log)
    fan = scrub.fan_data(scene) if ss.get("scrub") else None
    # Side by side in two columns (one under the other on a phone). Columns, not a one-element
    # horizontal row: a row sizes a chart by what is in it when it arrives, so the 3D view, sent
    # before the top view, was drawn at full width, then at half width once the top view came:
    # three draws of the costliest chart where the bare page has two. A column has its width from
    # the start. It costs two elements more per rerun; the first visits it saves are within this
    # VM's noise (docs/performance.md).
    c1, c2 = st.columns(2)
    paths = scene.paths if fan is None else racer_path(scene.paths, fan)
    fig3d = surface_figure(
        xs,
        ys,
        z,
        paths,
        scene.minima,
        scene.cfg.start,
        start_loss,
        scene.floor,
        scene.log,
        key=scene.surface.name,
        shown=shown,
    )
    if fan is not None:
        fig3d = scrub_3d(fig3d, fan, xs, ys, shown, scene.floor, scene.log)
    chart(c1, fig3d, key="surface3d")
    args = (xs, ys, z, scene.paths, scene.minima, scene.cfg.start, scene.floor, scene.log)
    if playing:
        chart(c2, playback_figure(*args, step=step), key="playback_chart")
        # Painted only when clicked: a GIF of 60 frames takes a moment.
        c2.download_button(
            "Playback (animated GIF)",
            functools.partial(playback_gif, *args, step=step),
            file_name=f"optviz-{scene.cfg.surface}-playback.gif",
            mime="image/gif",
            key="dl_gif",
            help="the same frames, painted on the server in the page's colours: for a slide",
        )
    else:
        arrows = None
        if arrows_on:
            pts, grads, _ = runs_kit.arrows(scene.surface)
            arrows = arrow_trace(pts, grads, cell=(xs[-1] - xs[0]) / 15)
        top = contour_figure(
            xs,
            ys,
            z,
            paths + _gradient_points(scene),
            *args[4:-1],
            scene.log,
            arrows,
            key=scene.surface.name,
            shown=shown,
        )
        if fan is not None:
            picture = runs_kit.surface_picture(scene.surface, scene.floor, scene.log)
            top = scrub_top(top, fan, scene.floor, scene.surface.f_min is not None, picture)
        chart(c2, top, key="contour")
        if fan is not None:
            scrub.gif_button(c2, scene, fan)
    _view_toggles(scene, playing)


# State that says where a method takes its gradient, away from the reported path, and its label.
GRADIENT_POINTS = {"y": "y, where gradients are taken", "ascent": "ascent points, where gradients are taken"}


def _gradient_points(scene: Scene) -> list[PathData]:
    """For methods that take gradients away from the reported path (Schedule-Free at y, SAM at its
    ascent point), those points, dotted, beside the path."""
    extra = []
    for lab, run, p in zip(scene.labels, scene.runs, scene.paths):
        for key, what in GRADIENT_POINTS.items():
            if key in run.state and len(run.state[key]):
                points = np.asarray(run.state[key])
                extra.append(PathData(f"{lab}: {what}", points, np.zeros(len(points), np.float32), p.color, dash="dot"))
    return extra


# The views' display switches: one row of pills (one element, where four toggles in columns were
# nine, each costing every rerun for every student of a class). Each switch keeps its own key.
SHOW = {
    "log": "log-scaled heights",
    "arrows": "gradient arrows",
    "playback": "playback",
    "scrub": "what-if scrubber",
}
SHOW_HELP = (
    "**log-scaled heights**: log10(1 + f − min f), for surfaces whose values span decades. "
    "**gradient arrows**: −∇f on a grid. **playback**: the top view animated, the paths advancing "
    "step by step. **what-if scrubber**: a slider over each view runs one racer's path through 48 "
    "values of one setting, drawn at once in your browser: drag it and watch the path bend."
)


def show_keys(surface: str) -> dict[str, str]:
    """Each display switch's session key (the log scale is remembered per surface)."""
    return {"log": f"log_{surface}", "arrows": "arrows", "playback": "playback", "scrub": "scrub"}


def _from_pills(keys: dict[str, str]) -> None:
    chosen = st.session_state["show"] or []
    for option, key in keys.items():
        st.session_state[key] = option in chosen


def _view_toggles(scene: Scene, playing: bool) -> None:
    ss = st.session_state
    keys = show_keys(scene.surface.name)
    ss["show"] = [option for option, key in keys.items() if ss.get(key)]
    st.pills(
        "show",
        list(SHOW),
        selection_mode="multi",
        key="show",
        format_func=SHOW.__getitem__,
        on_change=_from_pills,
        args=(keys,),
        help=SHOW_HELP,
        label_visibility="collapsed",
    )
    if playing:
        _playback_step(scene)
    if ss.get("scrub"):
        scrub.controls(scene)


def _playback_step(scene: Scene) -> int:
    """The step the animation starts from (in the link), a slider under the toggles."""
    longest = max(len(p.xy) for p in scene.paths) - 1
    st.session_state["frame"] = min(st.session_state.get("frame", 0), max(longest, 0))
    return st.slider(
        "playback from step",
        0,
        max(longest, 1),
        key="frame",
        disabled=longest < 1,
        help="where the animation starts; Play runs it to the end",
    )


def _curves(scene: Scene) -> None:
    surface, runs = scene.surface, scene.runs
    if surface.f_min is not None:
        panels = [
            ("loss − min f (log)", [r.loss - surface.f_min for r in runs], True),
            ("distance to nearest minimum (log)", [distance_to_nearest_minimum(r.path, surface) for r in runs], True),
        ]
    else:
        panels = [("loss", [r.loss for r in runs], False)]
        st.caption("This surface has no minimum: the loss is shown as it is, and there is no distance to a minimum.")
    if any(spec.scheduled for spec in scene.cfg.specs):  # a thin strip: each racer's lr as its schedule sets it
        chart(
            st,
            curves_figure(scene.paths, [("lr", [r.lr for r in runs], False, "update t")], height=170, legend=False),
            key="lr_strip",
        )  # the curves under it name the colours
    # One chart a panel, in one row: side by side on a screen, one under the other on a phone.
    row = st.container(horizontal=True)
    for panel, key in zip(panels, ("curves", "curves_distance")):
        chart(row, curves_figure(scene.paths, [panel]), key=key)
    _stability(scene)


def _stability(scene: Scene) -> None:
    """The Stability chart: does a run cross its threshold at the step it starts to oscillate?"""
    st.markdown(
        "**Stability**: solid, the sharpness λmax(H) at the point each update starts from; dotted, the "
        "preconditioned sharpness λmax(P⁻¹H) of the Adam family, RMSprop and Adagrad; dashed, the "
        "threshold of the quantity that governs the optimizer (2/η for SGD, (2+2μ)/η with momentum, "
        "(2+2β₁)/((1−β₁)η) for Adam). Above it, steps overshoot. See Learn: *Why does it diverge?*"
    )
    chart(st, stability_figure(scene.paths, cached_stability(scene.cfg)), key="stability")


@part_of_view
def table(scene: Scene) -> None:
    """The results table and the tolerance it counts steps to."""
    st.session_state.setdefault("tol", 1e-3)
    tol = st.select_slider("tolerance", options=TOLERANCES, key="tol", format_func=sig)
    # A Markdown table: its cells wrap, so it fits a phone without scrolling sideways.
    st.markdown(markdown_table(results_table(scene.runs, scene.labels, scene.surface, tol)))


@part_of_view
def inside(scene: Scene) -> None:
    """An optimizer's state per step, on request."""
    if st.toggle(
        "Show an optimizer's state per step, its update rule with the numbers filled in, and "
        "Adam with and without bias correction",
        key="inside",
    ):
        inside_section(
            scene.cfg, scene.runs, scene.labels, scene.paths, scene.grid, scene.minima, scene.floor, scene.log
        )

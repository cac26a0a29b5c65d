"""Learn: warmup rescuing a large learning rate, its length on a slider."""

from __future__ import annotations

import streamlit as st

from optviz.app.kit.charts import chart
from optviz.app.kit.runs import grid
from optviz.app.learn.races import demo_runs
from optviz.core.analysis.demos import WARMUPS, gap, left_picture_at, warmup_demo
from optviz.core.engine.trajectory import Run
from optviz.core.numbers import sig
from optviz.core.problems.surfaces import SURFACES
from optviz.plots.common import PathData
from optviz.plots.surface_figures import contour_figure


def warmup_figure() -> None:
    """Adam at lr = 1 on the cliff without warmup and with the warmup on the slider."""
    st.markdown(
        "**Warmup, live.** Adam at lr = 1 on the cliff: its first steps are full-size (lr·sign(g)) and "
        "throw it over the edge. Warmup ramps the learning rate up from 0 over its first steps, while v̂ "
        "settles. Drag the warmup's length."
    )
    slot = st.container()
    w = st.select_slider("warmup (steps)", WARMUPS, key="learn_warmup")  # under its figure
    surface = SURFACES["cliff"]
    without, with_w = demo_runs(warmup_demo(0))[0], demo_runs(warmup_demo(w))[0]
    xs, ys, z = grid(surface)
    paths = [
        PathData("no warmup", without.path, without.loss, "#999999", without.diverged_at, dash="dot"),
        PathData(f"warmup = {w}", with_w.path, with_w.loss, "#0077BB", with_w.diverged_at),
    ]
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    top = contour_figure(xs, ys, z, paths, minima, surface.start, 0.0, surface.log_scale, key="learn_warmup")
    chart(slot, top, key="learn_warmup_chart")
    st.caption(f"No warmup: {_fate(without)}. With {w} steps of warmup: {_fate(with_w)}.")


def _fate(run: Run) -> str:
    surface = SURFACES["cliff"]
    left = left_picture_at(run, surface)
    where = "never leaves the picture" if left is None else f"leaves the picture at step {left}"
    return f"{where}, and ends {sig(gap(run, surface), 3)} above the minimum"

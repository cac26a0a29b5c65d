"""Learn: momentum as a memory of about 1/(1−β1) steps, with β1 on a slider and the path beside it."""

from __future__ import annotations

import streamlit as st

from optviz.app.kit.charts import chart
from optviz.app.kit.runs import grid
from optviz.app.learn.races import demo_runs
from optviz.core.analysis.demos import ema_weights, gap, momentum_demo, window, window_share
from optviz.core.limits import LEARN_B1
from optviz.core.numbers import sig
from optviz.core.problems.surfaces import SURFACES
from optviz.plots.common import PathData
from optviz.plots.curves import weights_figure
from optviz.plots.surface_figures import contour_figure


def momentum_window() -> None:
    """β1's memory: the weight each past gradient has in m, and Adam's path at that β1."""
    st.markdown(
        "Unrolled, m_t = (1−β1) Σ β1^k g_(t−k): an average of past gradients in which the one from k steps "
        "ago weighs (1−β1)β1^k. The weights fall by a factor e every 1/(1−β1) steps, so that is how long m "
        "remembers: 10 steps at β1 = 0.9, 100 at 0.99. Drag β1 and watch the window and the path."
    )
    a, b = st.columns(2)
    b1 = st.slider("β1 (momentum)", *LEARN_B1, step=0.01, key="learn_mb1")  # under its figures
    n = window(b1)
    demo = momentum_demo(b1)
    run = demo_runs(demo)[0]
    surface = SURFACES[demo.surface]
    chart(a, weights_figure(ema_weights(b1, max(3 * n, 10)), n), key="learn_momentum_weights")
    xs, ys, z = grid(surface)
    path = PathData(f"Adam, β1 = {b1:g}", run.path, run.loss, "#0077BB", run.diverged_at)
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    chart(
        b, contour_figure(xs, ys, z, [path], minima, demo.start, 0.0, True, key="learn_mb1"), key="learn_momentum_path"
    )
    st.caption(
        f"At β1 = {b1:g} the last {n} gradients (shaded) carry {100 * window_share(b1):.0f}% of m's weight. "
        f"Right: Adam at lr = 0.05 on Rosenbrock for {demo.steps} steps with that β1; it ends "
        f"{sig(gap(run, surface), 2)} above the minimum."
    )

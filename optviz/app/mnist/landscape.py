"""The MNIST page's loss landscape: a 2D slice of parameter space with every recorded path on it.

Slices are shared by all sessions and kept per (race, directions, grid), so switching from PCA
to random directions and back draws the first one again at once; computing one shows a
progress bar with the time left.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from optviz.app.kit.cache import Shared
from optviz.app.kit.charts import chart
from optviz.app.kit.jobs import compute_with_progress
from optviz.core.analysis.landscape import estimated_seconds, landscape
from optviz.core.engine.training import TrainRun
from optviz.core.problems.mnist_data import Mnist
from optviz.link import MnistConfig
from optviz.plots.common import PALETTE, PathData
from optviz.plots.curves import curves_figure
from optviz.plots.surface_figures import contour_figure, surface_figure

LANDSCAPES = Shared(max_entries=16, name="landscapes")
IMAGES = 1000  # training images the slice's loss is measured on
GRIDS = (11, 21, 31, 41, 51)


def _settings(cfg: MnistConfig) -> None:
    """The slice's controls (their values are already in ``cfg``: the page reads them first)."""
    c1, c2 = st.columns(2)
    c1.radio(
        "directions",
        ["pca", "random"],
        horizontal=True,
        key="mn_dirs",
        format_func={"pca": "PCA of the paths", "random": "random (filter-normalised)"}.get,
    )
    c2.select_slider(
        "grid",
        sorted(set(GRIDS) | {cfg.grid}),
        key="mn_grid",
        help="points along each axis; the slice costs grid² losses",
    )


def _compute(cfg: MnistConfig, runs: list[TrainRun], data: Mnist, key) -> dict:
    """The slice: shared, computed once, with a bar that says how long is left (optviz.app.kit.jobs)."""
    n = min(IMAGES, len(data.train_images))

    def work(report) -> dict:
        t0 = time.perf_counter()

        def progress(done: int, total: int) -> None:
            left = (time.perf_counter() - t0) / done * (total - done)
            report(done / total, f"{done} of {total} losses (the slice, then the paths): about {left:.0f} s left")

        return landscape(
            cfg.model,
            runs,
            cfg.directions,
            cfg.grid,
            data.train_images[:n],
            data.train_labels[:n].astype(np.int32),
            progress=progress,
        )

    points = sum(len(r.snapshots) for r in runs)
    return compute_with_progress(
        LANDSCAPES,
        key,
        work,
        f"{cfg.grid * cfg.grid} losses over {IMAGES} images",
        estimate=estimated_seconds(cfg.model, cfg.grid, points, n),
    )


def axis_names(out: dict) -> tuple[str, str]:
    """The slice's two directions as axis titles: PCA 1 (61%) and PCA 2 (12%), or random directions."""
    ev = out.get("explained_variance")
    if ev:
        return f"PCA 1 ({ev[0]:.0%})", f"PCA 2 ({ev[1]:.0%})"
    return "random direction 1", "random direction 2"


def landscape_section(cfg: MnistConfig, runs: list[TrainRun], labels: list[str], data: Mnist, race_key) -> None:
    """Settings, then the slice in 3D and from above, then each path's true loss beside the slice's."""
    st.subheader("Loss landscape")
    st.caption(
        "A 2D slice of parameter space (Li et al., 2018) with every optimizer's recorded path projected onto "
        "it. PCA: the two directions along which the paths moved most, shared by all. Random: two "
        "filter-normalised directions through the first optimizer's final point."
    )
    if not all(r.snapshots for r in runs):
        st.caption("Train again to record the paths (only the newest races keep them).")
        return
    _settings(cfg)
    key = (race_key, len(runs), runs[-1].epochs_done, cfg.directions, cfg.grid)
    out = LANDSCAPES.get(key)
    if out is None and st.button("Compute the landscape", key="mn_landscape_go"):
        out = _compute(cfg, runs, data, key)
    if out is None:
        st.caption(f"Each slice is computed once and kept: {cfg.grid * cfg.grid} losses over {IMAGES} images.")
        return
    _draw(out, labels, cfg.grid)


def _draw(out: dict, labels: list[str], grid: int) -> None:
    paths = [
        PathData(lab, p["coords"].astype(np.float32), p["slice_loss"], PALETTE[i])
        for i, (lab, p) in enumerate(zip(labels, out["paths"]))
    ]
    xs, ys, z = out["alpha"].astype(np.float32), out["beta"].astype(np.float32), out["loss"].astype(np.float32)
    floor, start, axes = float(np.nanmin(z)), tuple(paths[0].xy[0]), axis_names(out)
    a, b = st.columns(2)
    chart(
        a,
        surface_figure(xs, ys, z, paths, [], start, float(paths[0].loss[0]), floor, True, key="mn_land", axes=axes),
        key="mn_land3d",
    )
    chart(b, contour_figure(xs, ys, z, paths, [], start, floor, True, key="mn_land", axes=axes), key="mn_land2d")
    if "explained_variance" in out:
        ev = out["explained_variance"]
        st.caption(f"The two directions explain {ev[0]:.1%} and {ev[1]:.1%} of the paths' variance.")
    honest = [PathData(f"{lab}: true", np.zeros((0, 2)), np.zeros(0), PALETTE[i]) for i, lab in enumerate(labels)]
    honest += [
        PathData(f"{lab}: on the slice", np.zeros((0, 2)), np.zeros(0), PALETTE[i], dash="dash")
        for i, lab in enumerate(labels)
    ]
    values = [p["loss"] for p in out["paths"]] + [p["slice_loss"] for p in out["paths"]]
    chart(
        st,
        curves_figure(honest, [("loss along each path", values, True, "recorded point")], height=320),
        key="mn_land_honest",
    )
    st.caption(
        "Real paths leave the plane: the true loss at each recorded point beside the slice's value where it "
        "projects. Where the two differ, the picture above is a shadow, not the path."
    )

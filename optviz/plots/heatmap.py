"""Sweep heatmaps: one metric over a grid, with the default and the best cell marked.

A categorical metric (which minimum a start ends at) is drawn in flat colours, one per
category, with a legend naming each: a continuous colour bar would blend the colours between
its ticks. A grid over the start point keeps x and y at one scale, so a square domain is a
square on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz.plots.common import legend_below

# Flat colours for categories (Okabe & Ito's set, safe for colour-blind eyes), then the two
# outcomes that are no minimum: a light grey and a dark one.
CATEGORY_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NO_CATEGORY = ("#d9d9d9", "#555555")


def _categories(trace: dict, data: list[dict], names: Sequence[str], outcomes: Sequence[str]) -> None:
    """Flat colours for ``z`` values -len(outcomes)..len(names)-1 (the outcomes negative: -1 the
    first), and one legend entry per category."""
    labels = list(reversed(outcomes)) + list(names)  # in z order: -len(outcomes), ..., -1, 0, 1, ...
    colors = list(reversed(NO_CATEGORY[: len(outcomes)])) + [
        CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i in range(len(names))
    ]
    k = len(labels)
    scale = []
    for i, c in enumerate(colors):  # each category a band of one colour: nothing blends
        scale += [[i / k, c], [(i + 1) / k, c]]
    trace.update(zmin=-len(outcomes) - 0.5, zmax=len(names) - 0.5, colorscale=scale, showscale=False)
    for label, c in zip(reversed(labels), reversed(colors)):  # the minima first in the legend
        data.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "markers",
                "name": label,
                "hoverinfo": "skip",
                "marker": {"symbol": "square", "size": 12, "color": c, "line": {"width": 1, "color": "#888"}},
            }
        )


def heatmap_figure(
    z: np.ndarray,
    xs: Sequence[float] | np.ndarray,
    ys: Sequence[float] | np.ndarray,
    x_title: str,
    y_title: str,
    x_log: bool,
    y_log: bool,
    colorbar: str,
    title: str,
    default_cell: tuple[int, int] | None,
    best_cell: tuple[int, int] | None,
    selected: tuple[int, int] | None = None,
    colorscale: str = "Viridis",
    categorical: Sequence[str] | None = None,
    clickable: bool = True,
    z_range: tuple[float, float] | None = None,
    outcomes: Sequence[str] = ("no minimum reached", "diverged"),
    equal_scale: bool = False,
) -> dict:
    """``z`` [ny, nx] as a heatmap (NaN cells left blank); cells are given as (row, column).

    ``z_range`` fixes the colour scale's ends, so that heatmaps drawn side by side share one.
    ``categorical`` names the categories z = 0, 1, ...; ``outcomes`` the negative ones (-1, -2).
    ``equal_scale`` draws one unit of x as long as one unit of y (a grid of start points).

    Plotly heatmaps report no clicks to Streamlit, so with ``clickable`` an invisible WebGL
    scatter of the cell centres carries the hover text and the click selection.
    """
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    # Log axes are drawn as log10 values so that every cell has the same width on screen.
    xp = np.log10(xs) if x_log else xs
    yp = np.log10(ys) if y_log else ys
    hover = (
        f"{x_title}=%{{customdata[0]:~.4g}}<br>{y_title}=%{{customdata[1]:~.4g}}<br>"
        f"{colorbar}=%{{customdata[2]:~.4g}}<extra></extra>"
    )
    gx, gy = np.meshgrid(xs, ys)
    custom = np.stack([gx, gy, z.astype(np.float64)], -1)
    trace: dict[str, Any] = {
        "type": "heatmap",
        "x": xp,
        "y": yp,
        "z": z.astype(np.float32),
        "colorscale": colorscale,
        "colorbar": {"title": {"text": colorbar}},
        "customdata": custom,
        "hovertemplate": hover,
    }
    if z_range is not None:
        trace.update(zmin=z_range[0], zmax=z_range[1])
    data: list[dict] = [trace]
    if categorical is not None:
        _categories(trace, data, categorical, outcomes)
    if clickable:
        px, py = np.meshgrid(xp, yp)
        invisible = {"marker": {"opacity": 0}}
        data.append(
            {
                "type": "scattergl",
                "x": px.ravel(),
                "y": py.ravel(),
                "mode": "markers",
                "name": "cells",
                "showlegend": False,
                "customdata": custom.reshape(-1, 3),
                "hovertemplate": hover,
                "marker": {"opacity": 0, "size": 8},
                "selected": invisible,
                "unselected": invisible,
            }
        )
        trace["hoverinfo"] = "skip"
        trace.pop("hovertemplate")
    # Each marker dark with a white rim, or white with a dark one: it shows on any cell colour.
    for cell, name, symbol, color, rim in (
        (default_cell, "default", "circle-open", "#111111", "#ffffff"),
        (best_cell, "best", "star", "#e4572e", "#ffffff"),
        (selected, "inspected", "square-open", "#ff00ff", "#ffffff"),
    ):
        if cell is not None:
            i, j = cell
            for size, width, c, legend in ((17, 4, rim, False), (14, 2, color, True)):  # the rim, then the mark
                data.append(
                    {
                        "type": "scatter",
                        "x": [xp[j]],
                        "y": [yp[i]],
                        "mode": "markers",
                        "name": name,
                        "showlegend": legend,
                        "legendgroup": name,
                        "hoverinfo": "skip",
                        "marker": {"symbol": symbol, "size": size, "color": c, "line": {"width": width, "color": c}},
                    }
                )
    layout: dict[str, Any] = {
        "height": 480,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "title": {"text": title},
        "legend": legend_below(),
        "clickmode": "event+select",
        "hovermode": "closest",
        "xaxis": {"title": {"text": ("log10 " if x_log else "") + x_title}},
        "yaxis": {"title": {"text": ("log10 " if y_log else "") + y_title}},
    }
    if equal_scale:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1, constrain="domain")
        layout["xaxis"]["constrain"] = "domain"
    return {"data": data, "layout": layout}

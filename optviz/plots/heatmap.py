"""Sweep heatmaps: one metric over a grid, with the default and the best cell marked."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def heatmap_figure(z: np.ndarray, xs: Sequence[float], ys: Sequence[float], x_title: str, y_title: str,
                   x_log: bool, y_log: bool, colorbar: str, title: str, default_cell: tuple[int, int] | None,
                   best_cell: tuple[int, int] | None, selected: tuple[int, int] | None = None,
                   colorscale: str = "Viridis", categorical: Sequence[str] | None = None,
                   clickable: bool = True, z_range: tuple[float, float] | None = None) -> dict:
    """``z`` [ny, nx] as a heatmap (NaN cells left blank); cells are given as (row, column).

    ``z_range`` fixes the colour scale's ends, so that heatmaps drawn side by side share one.

    Plotly heatmaps report no clicks to Streamlit, so with ``clickable`` an invisible WebGL
    scatter of the cell centres carries the hover text and the click selection.
    """
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    # Log axes are drawn as log10 values so that every cell has the same width on screen.
    xp = np.log10(xs) if x_log else xs
    yp = np.log10(ys) if y_log else ys
    hover = f"{x_title}=%{{customdata[0]:~.4g}}<br>{y_title}=%{{customdata[1]:~.4g}}<br>{colorbar}=%{{customdata[2]:~.4g}}<extra></extra>"
    gx, gy = np.meshgrid(xs, ys)
    custom = np.stack([gx, gy, z.astype(np.float64)], -1)
    trace = {"type": "heatmap", "x": xp, "y": yp, "z": z.astype(np.float32), "colorscale": colorscale,
             "colorbar": {"title": {"text": colorbar}}, "customdata": custom, "hovertemplate": hover}
    if z_range is not None:
        trace.update(zmin=z_range[0], zmax=z_range[1])
    if categorical is not None:
        n = len(categorical)
        trace.update(zmin=-1.5, zmax=n - 0.5, colorbar={"title": {"text": colorbar},
                                                        "tickvals": list(range(-1, n)),
                                                        "ticktext": ["none"] + list(categorical)})
    data: list[dict] = [trace]
    if clickable:
        px, py = np.meshgrid(xp, yp)
        invisible = {"marker": {"opacity": 0}}
        data.append({"type": "scattergl", "x": px.ravel(), "y": py.ravel(), "mode": "markers", "name": "cells",
                     "showlegend": False, "customdata": custom.reshape(-1, 3), "hovertemplate": hover,
                     "marker": {"opacity": 0, "size": 8}, "selected": invisible, "unselected": invisible})
        trace["hoverinfo"] = "skip"
        trace.pop("hovertemplate")
    for cell, name, symbol, color in ((default_cell, "default", "circle-open", "white"),
                                      (best_cell, "best", "star", "#e4572e"),
                                      (selected, "inspected", "square-open", "#ff00ff")):
        if cell is not None:
            i, j = cell
            data.append({"type": "scatter", "x": [xp[j]], "y": [yp[i]], "mode": "markers", "name": name,
                         "hoverinfo": "skip", "marker": {"symbol": symbol, "size": 14, "color": color,
                                                         "line": {"width": 2, "color": color}}})
    layout = {"height": 480, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "title": {"text": title},
              "legend": {"orientation": "h", "y": -0.15}, "clickmode": "event+select", "hovermode": "closest",
              "xaxis": {"title": {"text": ("log10 " if x_log else "") + x_title}},
              "yaxis": {"title": {"text": ("log10 " if y_log else "") + y_title}}}
    return {"data": data, "layout": layout}

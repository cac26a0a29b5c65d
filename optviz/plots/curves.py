"""Per-step curves: loss, distance to the nearest minimum, and an optimizer's internal state."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import PathData, thin

MAX_CURVE_POINTS = 1000


def line_figure(paths: Sequence[PathData], values: Sequence[np.ndarray | None], y_title: str,
                log_y: bool = True, height: int = 320) -> go.Figure:
    """One line per path of ``values`` against the step number."""
    fig = go.Figure()
    for p, v in zip(paths, values):
        if v is None or len(v) == 0:
            continue
        idx = thin(len(v), MAX_CURVE_POINTS)
        y = np.asarray(v, np.float64)[idx]
        if log_y:
            y = np.where(y > 0, y, np.nan)  # log axes cannot show 0; a gap is honest
        fig.add_trace(go.Scatter(x=idx, y=y, mode="lines", name=p.label, line={"color": p.color, "width": 2}))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
                      xaxis={"title": "step"}, yaxis={"title": y_title, "type": "log" if log_y else "linear",
                                                      "exponentformat": "power"})
    return fig


def state_figure(state: Mapping[str, np.ndarray], labels: Mapping[str, str], color: str) -> go.Figure:
    """An optimizer's internal state per step: one panel per quantity, x and y coordinates apart."""
    keys = [k for k, v in state.items() if np.asarray(v).ndim in (1, 2)]
    fig = make_subplots(rows=max(len(keys), 1), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[labels.get(k, k) for k in keys])
    for row, key in enumerate(keys, start=1):
        v = np.asarray(state[key], np.float64)
        steps = np.arange(1, len(v) + 1)
        idx = thin(len(v), MAX_CURVE_POINTS)
        columns = [(v[idx], "")] if v.ndim == 1 else [(v[idx, 0], " (x)"), (v[idx, 1], " (y)")]
        for j, (col, suffix) in enumerate(columns):
            fig.add_trace(go.Scatter(x=steps[idx], y=col, mode="lines", name=key + suffix, showlegend=False,
                                     line={"color": color, "width": 2, "dash": "solid" if j == 0 else "dot"}),
                          row=row, col=1)
    fig.update_layout(height=max(160 * len(keys), 200), margin={"l": 10, "r": 10, "t": 30, "b": 10})
    fig.update_xaxes(title_text="step", row=max(len(keys), 1), col=1)
    return fig

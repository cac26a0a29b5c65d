"""Per-step curves: loss, distance to the nearest minimum, and an optimizer's internal state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from optviz.plots.common import PathData, log_axis, thin
from optviz.plots.surface_figures import LEGEND

MAX_CURVE_POINTS = 1000


def curves_figure(
    paths: Sequence[PathData],
    panels: Sequence[tuple],
    height: int = 340,
    marks: Sequence[tuple[float, str]] = (),
    legend: bool = True,
) -> dict:
    """Side-by-side panels of per-step curves sharing one legend (none with ``legend=False``: a
    thin strip whose colours the chart beside it names).

    ``panels`` holds (y title, one array per path or None, log y[, x title[, x step]]) for each
    panel; the x values are index * x step (default: "step", 1). Short series get markers.
    ``marks`` are (x, label) events drawn as dashed vertical lines across every panel.
    """
    layout: dict[str, Any]
    data, layout = (
        [],
        {"height": height, "margin": {"l": 10, "r": 10, "t": 20, "b": 10}, "legend": LEGEND, "showlegend": legend},
    )
    n, gap = len(panels), 0.08
    shown: set[str] = set()  # each label in the legend once, wherever it first appears
    width = (1 - gap * (n - 1)) / n
    for k, panel in enumerate(panels):
        title, values, log_y = panel[:3]
        x_title = panel[3] if len(panel) > 3 else "step"
        x_step = panel[4] if len(panel) > 4 else 1
        axis = "" if k == 0 else str(k + 1)
        left = k * (width + gap)
        layout[f"xaxis{axis}"] = {"domain": [left, left + width], "anchor": f"y{axis}", "title": {"text": x_title}}
        if x_title in ("epoch", "step"):  # whole numbers only: one epoch must not read 0, 0.2, 0.4, ...
            layout[f"xaxis{axis}"]["tickformat"] = "d"
            if x_title == "epoch":
                layout[f"xaxis{axis}"].update(tick0=0, dtick=1)
        layout[f"yaxis{axis}"] = (
            log_axis(values, anchor=f"x{axis}", title={"text": title})
            if log_y
            else {"anchor": f"x{axis}", "title": {"text": title}, "exponentformat": "power"}
        )
        for p, v in zip(paths, values):
            if v is None or len(v) == 0:
                continue
            idx = thin(len(v), MAX_CURVE_POINTS)
            y = np.asarray(v, np.float64)[idx]
            if log_y:
                y = np.where(y > 0, y, np.nan)  # log axes cannot show 0; a gap is honest
            data.append(
                {
                    "type": "scatter",
                    "x": idx * x_step,
                    "y": y,
                    "mode": "lines" if len(v) > 30 else "lines+markers",
                    "name": p.label,
                    "legendgroup": p.label,
                    "showlegend": p.label not in shown,
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "line": {"color": p.color, "width": 2, "dash": p.dash},
                }
            )
            shown.add(p.label)
    layout["shapes"] = [
        {
            "type": "line",
            "xref": f"x{'' if k == 0 else k + 1}",
            "yref": "paper",
            "x0": x,
            "x1": x,
            "y0": 0,
            "y1": 1,
            "line": {"dash": "dash", "width": 1.5, "color": "#444"},
        }
        for k in range(n)
        for x, _ in marks
    ]
    layout.setdefault("annotations", []).extend(
        {
            "xref": "x",
            "yref": "paper",
            "x": x,
            "y": 1,
            "text": label,
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "top",
            "font": {"size": 11},
        }
        for x, label in marks
    )
    return {"data": data, "layout": layout}


STABILITY_DASH = {"sharpness": "solid", "preconditioned_sharpness": "dot", "threshold": "dash"}


def stability_figure(paths: Sequence[PathData], series: Sequence[Mapping[str, np.ndarray]], height: int = 300) -> dict:
    """Each run's sharpness (solid), preconditioned sharpness (dotted) and stability threshold
    (dashed) per step, in its colour, on a log axis."""
    data, shown = [], set()
    for p, s in zip(paths, series):
        for key, dash in STABILITY_DASH.items():
            v = s.get(key)
            if v is None or len(v) == 0:
                continue
            idx = thin(len(v), MAX_CURVE_POINTS)
            y = np.asarray(v, np.float64)[idx]
            data.append(
                {
                    "type": "scatter",
                    "x": idx + 1,
                    "y": np.where(y > 0, y, np.nan),
                    "mode": "lines",
                    "name": p.label,
                    "legendgroup": p.label,
                    "showlegend": p.label not in shown,
                    "hovertemplate": f"{key.replace('_', ' ')}: %{{y:.4g}}<extra>{p.label}</extra>",
                    "line": {"color": p.color, "width": 2 if dash != "dash" else 1.5, "dash": dash},
                }
            )
            shown.add(p.label)
    layout: dict[str, Any] = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        "legend": LEGEND,
        "xaxis": {"title": {"text": "update t"}, "tickformat": "d"},
        "yaxis": log_axis([v for s in series for v in s.values()], title={"text": "sharpness (log)"}),
    }
    return {"data": data, "layout": layout}


def state_figure(state: Mapping[str, np.ndarray], labels: Mapping[str, str], color: str) -> dict:
    """An optimizer's internal state per step: one panel per quantity, x (solid) and y (dotted)."""
    keys = [k for k, v in state.items() if np.asarray(v).ndim in (1, 2)]
    rows = max(len(keys), 1)
    gap = 0.06
    height = (1 - gap * (rows - 1)) / rows
    layout: dict[str, Any]
    data, layout = (
        [],
        {
            "height": max(170 * rows, 220) + 30,
            "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
            "showlegend": True,
            "legend": LEGEND,
            "annotations": [],
        },
    )
    for row, key in enumerate(keys):
        top = 1 - row * (height + gap)
        axis = "" if row == 0 else str(row + 1)
        layout[f"yaxis{axis}"] = {"domain": [top - height, top], "anchor": f"x{axis}"}
        layout[f"xaxis{axis}"] = {
            "anchor": f"y{axis}",
            "matches": "x" if row else None,
            "showticklabels": row == rows - 1,
            "title": {"text": "step"} if row == rows - 1 else None,
        }
        layout["annotations"].append(
            {
                "text": labels.get(key, key),
                "x": 0.5,
                "y": top,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
        v = np.asarray(state[key], np.float64)
        idx = thin(len(v), MAX_CURVE_POINTS)
        columns = [(v[idx], "")] if v.ndim == 1 else [(v[idx, 0], " (x)"), (v[idx, 1], " (y)")]
        for j, (col, suffix) in enumerate(columns):
            # One legend entry per line style, shown once: which line is the x coordinate, which the y.
            legend = {
                "name": ("x coordinate" if j == 0 else "y coordinate") if v.ndim == 2 else "value",
                "legendgroup": f"coord{j}",
                "showlegend": row == next((r for r, k in enumerate(keys) if np.asarray(state[k]).ndim == v.ndim), 0),
            }
            data.append(
                {
                    "type": "scatter",
                    "x": idx + 1,
                    "y": col,
                    "mode": "lines",
                    **legend,
                    "hovertemplate": f"{key}{suffix}: %{{y:~.4g}} at step %{{x}}<extra></extra>",
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "line": {"color": color, "width": 2, "dash": "solid" if j == 0 else "dot"},
                }
            )
    for k in list(layout):
        if k.startswith("xaxis"):
            layout[k] = {a: b for a, b in layout[k].items() if b is not None}
    return {"data": data, "layout": layout}


def weights_figure(weights: np.ndarray, window: int, height: int = 300) -> dict:
    """An exponential average's weight per gradient, newest first, the first ``window`` shaded."""
    ago = np.arange(len(weights))
    return {
        "data": [
            {
                "type": "bar",
                "x": ago,
                "y": np.asarray(weights, np.float64),
                "marker": {"color": np.where(ago < window, "#0077BB", "#b8c4cf").tolist()},
                "hovertemplate": "%{x} steps ago: weight %{y:.4f}<extra></extra>",
                "name": "weight",
            }
        ],
        "layout": {
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
            "showlegend": False,
            "bargap": 0.1,
            "xaxis": {"title": {"text": "gradient from this many steps ago"}, "tickformat": "d"},
            "yaxis": {"title": {"text": "its weight in m"}, "exponentformat": "power"},
        },
    }


def loglog_figure(series: Sequence[tuple[str, str, np.ndarray, np.ndarray]], x_title: str, y_title: str) -> dict:
    """Curves (label, colour, x, y) on log-log axes, markers on each point."""
    data = [
        {
            "type": "scatter",
            "x": np.asarray(x, np.float64),
            "y": np.asarray(y, np.float64),
            "mode": "lines+markers",
            "name": label,
            "line": {"color": color, "width": 2},
            "marker": {"color": color, "size": 5},
        }
        for label, color, x, y in series
    ]
    layout = {
        "height": 300,
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        "legend": LEGEND,
        "xaxis": log_axis([s[2] for s in series], title={"text": x_title}),
        "yaxis": log_axis([s[3] for s in series], title={"text": y_title}),
    }
    return {"data": data, "layout": layout}

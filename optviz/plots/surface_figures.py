"""The surface itself: the 3D view, the top (contour) view and the playback animation.

Figures are plain dicts (see optviz.plots): Plotly's property-by-property setters cost more
than the rest of a rerun together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optviz.plots.common import COLORSCALE, PathData, display_z, legend_below, playback_marks, thin
from optviz.plots.raster import background

MAX_DRAWN_POINTS = 400  # per path and view: lean figures, the shape kept
LEGEND = legend_below()


def _z_title(log: bool) -> str:
    # Short: a 3D scene clips a long axis title to "(…" (the toggle's help gives the formula).
    return "f, log scale" if log else "f(x, y)"


def _inside(xy: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Which points lie in the drawn box (with a 5% margin); the 3D view breaks the line elsewhere."""
    mx, my = 0.05 * (xs[-1] - xs[0]), 0.05 * (ys[-1] - ys[0])
    return (xy[:, 0] >= xs[0] - mx) & (xy[:, 0] <= xs[-1] + mx) & (xy[:, 1] >= ys[0] - my) & (xy[:, 1] <= ys[-1] + my)


def _diverged_hover(p: PathData) -> str:
    # In the hover, not written on the chart: several runs that leave at one corner wrote their
    # labels over each other. The page says who diverged where in words above the charts.
    return f"diverged at step {p.diverged_at}<extra>" + p.label.replace("<", "&lt;") + "</extra>"


def _hover(label: str) -> str:
    return "step %{text}<br>x=%{x:~.4g}, y=%{y:~.4g}<extra>" + label.replace("<", "&lt;") + "</extra>"


def surface_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: Sequence[PathData],
    minima: Sequence[tuple[float, float, float]],
    start: tuple[float, float],
    start_loss: float,
    floor: float,
    log: bool = False,
    key: str = "",
    axes: tuple[str, str] = ("x", "y"),
    shown: np.ndarray | None = None,
) -> dict:
    """A rotatable 3D surface with each path drawn on it, the start and the minima marked.

    ``axes`` names the two directions (on a loss landscape: "PCA 1 (61%)", say); ``shown`` is
    ``display_z(z, floor, log)`` when the caller keeps it.
    """
    shown = display_z(z, floor, log) if shown is None else shown
    z_lo, z_hi = float(np.nanmin(shown)), float(np.nanmax(shown))
    lift, _ = lift_of(shown)
    data: list[dict] = [
        {
            "type": "surface",
            "x": xs,
            "y": ys,
            "z": shown,
            "colorscale": COLORSCALE,
            "opacity": 0.85,
            "showscale": False,
            "name": "surface",
            "hoverinfo": "skip",
        }
    ]
    for p in paths:
        idx = thin(len(p.xy), MAX_DRAWN_POINTS)
        data.append(
            {
                "type": "scatter3d",
                **path_3d(p, xs, ys, floor, log, (lift, z_hi)),
                "mode": "lines+markers",
                "name": p.label,
                "line": {"color": p.color, "width": 5},
                "marker": {"size": 2.5, "color": p.color},
                "text": idx,
                "hovertemplate": _hover(p.label),
            }
        )
        if p.diverged_at is not None and len(p.xy) and _inside(p.xy[-1:], xs, ys)[0]:
            data.append(
                {
                    "type": "scatter3d",
                    "x": p.xy[-1:, 0],
                    "y": p.xy[-1:, 1],
                    "z": display_z(p.loss[-1:], floor, log) + lift,
                    "mode": "markers",
                    "showlegend": False,
                    "hovertemplate": _diverged_hover(p),
                    "marker": {"symbol": "x", "size": 6, "color": p.color},
                }
            )
    data.append(
        {
            "type": "scatter3d",
            "x": [start[0]],
            "y": [start[1]],
            "z": display_z(np.array([start_loss]), floor, log) + lift,
            "mode": "markers",
            "name": "start",
            "marker": {"symbol": "circle-open", "size": 8, "color": "black"},
        }
    )
    if minima:
        m = np.asarray(minima, np.float64)
        data.append(
            {
                "type": "scatter3d",
                "x": m[:, 0],
                "y": m[:, 1],
                "z": display_z(m[:, 2], floor, log) + lift,
                "mode": "markers",
                "name": "minima",
                "marker": {"symbol": "diamond", "size": 5, "color": "white", "line": {"color": "black", "width": 1}},
            }
        )
    layout = {
        "height": 560,
        "margin": {"l": 0, "r": 0, "t": 10, "b": 10},
        "uirevision": key,
        "legend": LEGEND,
        "scene": {
            "xaxis": {"title": {"text": axes[0]}, "range": [float(xs[0]), float(xs[-1])]},
            "yaxis": {"title": {"text": axes[1]}, "range": [float(ys[0]), float(ys[-1])]},
            "zaxis": {"title": {"text": _z_title(log)}, "range": [z_lo - lift, z_hi + 12 * lift]},
            # far enough back that the z axis, its ticks and its title stay inside the frame
            "camera": {"eye": {"x": -1.65, "y": -1.75, "z": 1.25}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1, "y": 1, "z": 0.6},
        },
    }
    return {"data": data, "layout": layout}


def lift_of(shown: np.ndarray) -> tuple[float, float]:
    """How far above the surface the 3D view draws paths, and the surface's top (as drawn)."""
    z_lo, z_hi = float(np.nanmin(shown)), float(np.nanmax(shown))
    return 0.01 * ((z_hi - z_lo) or 1.0), z_hi


def path_3d(p: PathData, xs, ys, floor: float, log: bool, lift: tuple[float, float]) -> dict[str, np.ndarray]:
    """A path's thinned x, y and heights in the 3D view (``lift``: :func:`lift_of`): just above the
    surface, a gap where it leaves the drawn box, capped just above the top."""
    above, z_hi = lift
    idx = thin(len(p.xy), MAX_DRAWN_POINTS)
    heights = np.where(_inside(p.xy[idx], xs, ys), display_z(p.loss[idx], floor, log) + above, np.nan)
    return {"x": p.xy[idx, 0], "y": p.xy[idx, 1], "z": np.minimum(heights, z_hi + 10 * above)}


def path_2d(p: PathData) -> dict[str, np.ndarray]:
    """A path's thinned x and y in the top view."""
    idx = thin(len(p.xy), MAX_DRAWN_POINTS)
    return {"x": p.xy[idx, 0], "y": p.xy[idx, 1]}


def _contour_base(xs, ys, z, floor: float, log: bool, shown: np.ndarray | None = None) -> dict:
    return {
        "type": "contour",
        "x": xs,
        "y": ys,
        "z": display_z(z, floor, log) if shown is None else shown,
        "colorscale": COLORSCALE,
        "ncontours": 30,
        "showscale": False,
        "hoverinfo": "skip",
        "name": "surface",
        "contours": {"coloring": "heatmap", "showlines": True},
        "line": {"width": 0.5, "color": "rgba(60,70,80,0.35)"},
    }


def _markers(minima, start) -> list[dict]:
    out = [
        {
            "type": "scatter",
            "x": [start[0]],
            "y": [start[1]],
            "mode": "markers",
            "name": "start",
            "marker": {"symbol": "circle-open-dot", "size": 13, "color": "black", "line": {"width": 2}},
        }
    ]
    if minima:
        m = np.asarray(minima, np.float64)
        out.append(
            {
                "type": "scatter",
                "x": m[:, 0],
                "y": m[:, 1],
                "mode": "markers",
                "name": "minima",
                "hovertemplate": "minimum (%{x:~.4g}, %{y:~.4g})<extra></extra>",
                "marker": {"symbol": "star", "size": 13, "color": "white", "line": {"color": "black", "width": 1.5}},
            }
        )
    return out


def arrow_trace(points: np.ndarray, grads: np.ndarray, cell: float) -> dict:
    """Downhill arrows (-gradient), all of one length, as one scatter trace."""
    norm = np.linalg.norm(grads, axis=1, keepdims=True)
    direction = -grads / np.where(norm > 0, norm, 1.0)
    tips = points + 0.8 * cell * direction
    nan = np.full((len(points), 1), np.nan)
    return {
        "type": "scatter",
        "x": np.hstack([points[:, :1], tips[:, :1], nan]).ravel(),
        "y": np.hstack([points[:, 1:], tips[:, 1:], nan]).ravel(),
        "mode": "lines+markers",
        "name": "downhill (-grad f)",
        "hoverinfo": "skip",
        "line": {"color": "rgba(40,50,60,0.6)", "width": 1},
        "marker": {
            "symbol": "arrow",
            "angleref": "previous",
            "size": np.tile([0, 7, 0], len(points)),
            "color": "rgba(40,50,60,0.75)",
        },
    }


def _path_2d(p: PathData, idx: np.ndarray) -> dict:
    return {
        "type": "scatter",
        "x": p.xy[idx, 0],
        "y": p.xy[idx, 1],
        "mode": "lines+markers",
        "name": p.label,
        "line": {"color": p.color, "width": 2.5, "dash": p.dash},
        "marker": {"size": 4, "color": p.color},
        "text": idx,
        "hovertemplate": _hover(p.label),
    }


def contour_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: Sequence[PathData],
    minima: Sequence[tuple[float, float, float]],
    start: tuple[float, float],
    floor: float,
    log: bool = False,
    arrows: dict | None = None,
    key: str = "",
    axes: tuple[str, str] = ("x", "y"),
    shown: np.ndarray | None = None,
) -> dict:
    """The top view: contours of the loss with every path, the start and the minima (``axes``: their
    names; ``shown``: as in :func:`surface_figure`)."""
    data: list[dict] = [_contour_base(xs, ys, z, floor, log, shown)]
    if arrows is not None:
        data.append(arrows)
    for p in paths:
        data.append(_path_2d(p, thin(len(p.xy), MAX_DRAWN_POINTS)))
        if p.diverged_at is not None and len(p.xy):
            data.append(
                {
                    "type": "scatter",
                    "x": p.xy[-1:, 0],
                    "y": p.xy[-1:, 1],
                    "mode": "markers",
                    "showlegend": False,
                    "hovertemplate": _diverged_hover(p),
                    "marker": {"symbol": "x", "size": 12, "color": p.color},
                }
            )
    data += _markers(minima, start)
    return {"data": data, "layout": _top_layout(xs, ys, key, axes)}


def _top_layout(xs, ys, key: str, axes: tuple[str, str] = ("x", "y")) -> dict:
    return {
        "height": 520,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "uirevision": key,
        "legend": LEGEND,
        # No zero lines: Plotly draws them white, across the contours.
        "xaxis": {"range": [float(xs[0]), float(xs[-1])], "title": {"text": axes[0]}, "zeroline": False},
        "yaxis": {
            "range": [float(ys[0]), float(ys[-1])],
            "title": {"text": axes[1]},
            "scaleanchor": "x",
            "zeroline": False,
        },
    }


def playback_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: Sequence[PathData],
    minima: Sequence[tuple[float, float, float]],
    start: tuple[float, float],
    floor: float,
    log: bool = False,
    frames: int = 60,
    step: int = 0,
) -> dict:
    """The top view animated: the paths advance step by step, with play, pause and a step slider.

    It opens at ``step`` (the paths drawn up to it) and plays from there to the end.

    The surface is a layout image (optviz.plots.raster), not a contour trace: plotly.js drops
    the traces a frame does not animate once playback starts.
    """
    marks = playback_marks(max((len(p.xy) for p in paths), default=1), frames, step)
    step = marks[0]
    base = _markers(minima, start)
    first = len(base)
    base += [_path_2d(p, thin(min(step + 1, len(p.xy)), MAX_DRAWN_POINTS)) for p in paths]
    fig_frames = []
    for step in marks:
        traces = []
        for p in paths:
            idx = thin(min(step + 1, len(p.xy)), MAX_DRAWN_POINTS)
            traces.append({"type": "scatter", "x": p.xy[idx, 0], "y": p.xy[idx, 1], "text": idx})
        fig_frames.append({"data": traces, "traces": list(range(first, first + len(paths))), "name": str(step)})
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    layout = _top_layout(xs, ys, "playback")
    layout.update(
        height=600,
        images=[background(xs, ys, z, floor, log)],
        legend=LEGEND,
        xaxis=dict(layout["xaxis"], showgrid=False),
        yaxis=dict(layout["yaxis"], showgrid=False),
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": -0.06,
                "xanchor": "left",
                "yanchor": "top",
                "buttons": [
                    {
                        "label": "Play",
                        "method": "animate",
                        "args": [
                            None,
                            {
                                "frame": {"duration": 60, "redraw": False},
                                "fromcurrent": True,
                                "transition": {"duration": 0},
                            },
                        ],
                    },
                    {"label": "Pause", "method": "animate", "args": [[None], still]},
                ],
            }
        ],
        sliders=[
            {
                "x": 0.15,
                "len": 0.85,
                "y": -0.04,
                "currentvalue": {"prefix": "step "},
                "steps": [{"label": str(s), "method": "animate", "args": [[str(s)], still]} for s in marks],
            }
        ],
    )
    return {"data": base, "layout": layout, "frames": fig_frames}

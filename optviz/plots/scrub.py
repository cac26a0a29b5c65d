"""The what-if scrubber: a Plotly slider on the top and 3D views whose steps redraw one racer's
path (and, on the top view, its loss curve) at each value of a setting, from a fan of runs
(optviz.core.engine.fan) shipped with the figure.

Each slider step shows a frame of that racer's traces with arrays already in the page, so
scrubbing sends nothing to the server and waits for nothing: the browser swaps arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optviz.core.numbers import sig
from optviz.plots.common import PathData, display_z, log_axis, thin
from optviz.plots.surface_figures import MAX_DRAWN_POINTS, lift_of, path_2d, path_3d

STRIP = 0.22  # the loss strip's share of the top view's height
SCRUB_GREY = "rgba(90,90,90,0.55)"


@dataclass(frozen=True)
class FanData:
    """A fan as the figures draw it: the racer's ``label`` (its traces' name), ``name`` (the
    optimizer's, for the slider's title) and ``color``, the setting ``key`` and its ``values``,
    each member's path [K, n, 2] and loss [K, n] (NaN after a divergence), where each diverged
    (-1: never), and ``current``, the index of the racer's own value."""

    label: str
    name: str
    color: str
    key: str
    values: np.ndarray
    paths: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray
    current: int

    def member(self, i: int) -> PathData:
        """Member ``i`` as a path to draw (its divergence marked by the scrubber's own trace)."""
        return PathData(self.label, self.paths[i], self.losses[i], self.color)

    def labels(self) -> list[str]:
        """Each member's value as the slider shows it: ``lr=0.0123``."""
        return [f"{self.key}={sig(v, 3)}" for v in self.values]

    def last_point(self, i: int) -> int:
        """Index of member ``i``'s last finite point (-1 if it has none)."""
        finite = np.flatnonzero(np.isfinite(self.paths[i, :, 0]))
        return int(finite[-1]) if len(finite) else -1


def racer_path(paths: list[PathData], fan: FanData) -> list[PathData]:
    """``paths`` with the scrubbed racer's drawn from the fan's member at its own value: every member
    then has the same length (padded with NaN), so a step swaps arrays of one shape."""
    return [dataclasses.replace(fan.member(fan.current), dash=p.dash) if p.label == fan.label else p for p in paths]


def _index(fig: dict, name: str) -> int:
    return next(i for i, t in enumerate(fig["data"]) if t.get("name") == name)


Target = tuple[int, Callable[[int], dict[str, np.ndarray]]]


def _scrubber(fig: dict, fan: FanData, targets: list[Target], y: float, redraw: bool) -> None:
    """Add one frame per member (the target traces' arrays for it) and a slider over them to ``fig``.

    A step shows its frame with ``animate`` and no transition: Plotly then updates only the
    named traces' drawing, where a ``restyle`` recomputed and redrew the whole figure (108-120 ms a
    step against 53-72, benchmarks/bench_scrub.py). A 3D scene can only be redrawn (``redraw``).
    """
    traces = [t for t, _ in targets]
    kinds = [fig["data"][t]["type"] for t in traces]
    fig["frames"] = [
        {"name": str(i), "traces": traces, "data": [{"type": k, **make(i)} for k, (_, make) in zip(kinds, targets)]}
        for i in range(len(fan.values))
    ]
    show = {"mode": "immediate", "frame": {"duration": 0, "redraw": redraw}, "transition": {"duration": 0}}
    # each step's value is the exact number (a label has three figures): what a link or `optviz run` takes
    steps = [
        {"label": label, "value": _exact(v), "method": "animate", "args": [[str(i)], show]}
        for i, (label, v) in enumerate(zip(fan.labels(), fan.values))
    ]
    fig["layout"]["sliders"] = [
        {
            "active": fan.current,
            "steps": steps,
            "x": 0.0,
            "len": 1.0,
            "y": y,
            "yanchor": "bottom",
            "pad": {"t": 0, "b": 0},
            "transition": {"duration": 0},  # the handle jumps to the value: its glide looked like lag
            "ticklen": 3,
            "minorticklen": 0,
            # 48 labels under the rail would overprint: the current one shows above it
            "font": {"color": "rgba(0,0,0,0)", "size": 1},
            "currentvalue": {"prefix": f"{fan.name}: ", "font": {"size": 13, "color": "#333"}},
        }
    ]


def _exact(value: float) -> str:
    """The shortest text that reads back as ``value`` (a whole number without ".0", as links write it)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _end_mark(fan: FanData, i: int, with_z: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Member i's last point if it diverged (an ×), else nothing."""
    last = fan.last_point(i) if fan.diverged_at[i] >= 0 else -1
    pts = fan.paths[i, last : last + 1] if last >= 0 else np.zeros((0, 2), np.float32)
    out = {"x": pts[:, 0], "y": pts[:, 1]}
    if with_z is not None:
        out["z"] = with_z[i : i + 1] if last >= 0 else np.zeros(0, np.float32)
    return out


def scrub_top(fig: dict, fan: FanData, floor: float, log_loss: bool, image: dict) -> dict:
    """The top view with the scrubber: its slider above the plot, a loss strip under it (the
    racer's loss − min f per step, each diverged member's end marked in grey) moving with it.

    The surface is drawn as ``image`` (optviz.plots.raster.background) instead of a contour
    trace: Plotly drops a contour trace once a figure animates (see optviz.plots.raster).
    """
    data = [t for t in fig["data"] if t.get("type") != "contour"]
    fig = {**fig, "data": data, "layout": dict(fig["layout"])}
    layout = fig["layout"]
    path = _index(fig, fan.label)
    fig["data"].append(_mark_trace(fan, "scatter", 12, _end_mark(fan, fan.current)))
    mark = len(fig["data"]) - 1
    idx = thin(fan.losses.shape[1], MAX_DRAWN_POINTS)
    heights = fan.losses - floor if log_loss else fan.losses
    heights = np.where(heights > 0, heights, np.nan) if log_loss else heights
    fig["data"].append(
        {
            "type": "scatter",
            "x": idx,
            "y": heights[fan.current, idx],
            "mode": "lines",
            "name": f"{fan.label}: loss",
            "showlegend": False,
            "xaxis": "x2",
            "yaxis": "y2",
            "line": {"color": fan.color, "width": 2},
            "hovertemplate": "step %{x}: %{y:.4g}<extra></extra>",
        }
    )
    curve = len(fig["data"]) - 1
    fig["data"].append(_divergence_marks(fan, heights))
    targets: list[Target] = [
        (path, lambda i: path_2d(fan.member(i))),
        (mark, lambda i: _end_mark(fan, i)),
        (curve, lambda i: {"x": idx, "y": heights[i, idx]}),
    ]
    targets += _start_target(fig, fan, None)
    layout.update(
        images=[image],
        xaxis={**layout["xaxis"], "showgrid": False},
        height=layout.get("height", 520) + 170,
        margin={**layout.get("margin", {}), "t": 70},
        yaxis={**layout["yaxis"], "domain": [STRIP + 0.1, 1.0], "showgrid": False},
        xaxis2={"anchor": "y2", "title": {"text": "step"}, "tickformat": "d", "range": [0, fan.losses.shape[1] - 1]},
        yaxis2=_strip_axis(heights[:, idx], log_loss),
    )
    _scrubber(fig, fan, targets, 1.02, redraw=False)
    _play_buttons(fig)
    return fig


def _play_buttons(fig: dict) -> None:
    """Play (the frames in order: the setting growing, for a slide) and Pause, left of the slider."""
    slider = fig["layout"]["sliders"][0]
    slider.update(x=0.2, len=0.8)
    play = {"frame": {"duration": 150, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    fig["layout"]["updatemenus"] = [
        {
            "type": "buttons",
            "direction": "left",
            "x": 0.0,
            "y": slider["y"],
            "xanchor": "left",
            "yanchor": "bottom",
            "pad": {"t": 0, "b": 0},
            "showactive": False,
            "buttons": [
                {"label": "▶", "method": "animate", "args": [None, play]},
                {"label": "❚❚", "method": "animate", "args": [[None], pause]},
            ],
        }
    ]


def _strip_axis(heights: np.ndarray, log: bool) -> dict:
    """The loss strip's y axis, fixed over every member: a curve moves against a still scale."""
    finite = heights[np.isfinite(heights)]
    axis = log_axis([finite], anchor="x2") if log else {"anchor": "x2"}
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if log:
            lo, hi = np.log10(lo), np.log10(hi)
            axis["dtick"] = max(1, int(np.ceil((hi - lo) / 4)))  # four labels at most: the strip is short
        pad = 0.05 * ((hi - lo) or 1.0)
        axis["range"] = [lo - pad, hi + pad]
    return axis | {"domain": [0.0, STRIP], "title": {"text": "loss − min f" if log else "loss"}}


def _divergence_marks(fan: FanData, heights: np.ndarray) -> dict:
    """Where each diverged member of the fan left: its value and step, in grey, on the loss strip."""
    xs, ys, text = [], [], []
    for i, v in enumerate(fan.values):
        last = fan.last_point(i)
        if fan.diverged_at[i] >= 0 and last >= 0:
            xs.append(last)
            ys.append(heights[i, last] if np.isfinite(heights[i, last]) else np.nan)
            text.append(f"{fan.key}={sig(v, 3)} diverged at step {int(fan.diverged_at[i])}")
    return {
        "type": "scatter",
        "x": np.asarray(xs, np.int32),
        "y": np.asarray(ys, np.float32),
        "text": text,
        "mode": "markers",
        "name": "where runs diverged",
        "showlegend": False,
        "xaxis": "x2",
        "yaxis": "y2",
        "marker": {"symbol": "x", "size": 8, "color": SCRUB_GREY},
        "hovertemplate": "%{text}<extra></extra>",
    }


def _mark_trace(fan: FanData, kind: str, size: int, first: dict[str, np.ndarray]) -> dict:
    return {
        "type": kind,
        **first,
        "mode": "markers",
        "name": f"{fan.label}: diverged",
        "showlegend": False,
        "hoverinfo": "skip",
        "marker": {"symbol": "x", "size": size, "color": fan.color},
    }


def _start_target(fig: dict, fan: FanData, z: np.ndarray | None) -> list[Target]:
    """Scrubbing a start coordinate moves the start marker too."""
    if fan.key not in ("start_x", "start_y"):
        return []

    def start(i: int) -> dict[str, np.ndarray]:
        out = {"x": fan.paths[i, :1, 0], "y": fan.paths[i, :1, 1]}
        if z is not None:
            out["z"] = z[i : i + 1]
        return out

    return [(_index(fig, "start"), start)]


def scrub_3d(fig: dict, fan: FanData, xs, ys, shown: np.ndarray, floor: float, log: bool) -> dict:
    """The 3D view with the scrubber: the same slider, moving the racer's path on the surface."""
    fig = {**fig, "data": list(fig["data"]), "layout": dict(fig["layout"])}
    lift = lift_of(shown)
    path = _index(fig, fan.label)
    last = [max(fan.last_point(i), 0) for i in range(len(fan.values))]
    ends = display_z(fan.losses[np.arange(len(last)), last], floor, log) + lift[0]
    starts = display_z(fan.losses[:, 0], floor, log) + lift[0]
    fig["data"].append(_mark_trace(fan, "scatter3d", 6, _end_mark(fan, fan.current, ends)))
    mark = len(fig["data"]) - 1
    targets: list[Target] = [
        (path, lambda i: path_3d(fan.member(i), xs, ys, floor, log, lift)),
        (mark, lambda i: _end_mark(fan, i, ends)),
    ]
    targets += _start_target(fig, fan, starts)
    layout = fig["layout"]
    layout.update(
        height=layout.get("height", 560) + 40,
        margin={**layout.get("margin", {}), "t": 70},
    )
    _scrubber(fig, fan, targets, 1.0, redraw=True)
    return fig

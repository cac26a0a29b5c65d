"""What the figure builders share: path data, colours, thinning and the log view."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

import numpy as np

# Ten racer colours that stay apart for colour-blind eyes: every pair differs by at least 19
# CIELAB units under simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009;
# tests/test_plots.py checks it), and each stands out on the light surface colours below.
# Picked from Paul Tol's and Okabe & Ito's colour-blind-safe sets; the first ones differ most.
PALETTE = ("#0077BB", "#E69F00", "#EE3377", "#000000", "#56B4E9", "#997700", "#332288", "#DDCC77", "#663333", "#666633")
# Surfaces in light greys: low loss light, high loss darker, so that any racer colour shows on them.
COLORSCALE = [[0.0, "#f7fbff"], [0.5, "#c6d3df"], [1.0, "#8da0b3"]]


def legend_below() -> dict:
    """A horizontal legend along the figure's bottom edge, below the x axis's ticks and title.

    Placed against the figure (``yref: container``), Plotly reserves the room for it under the
    plot area; a legend placed a fraction of the plot's height below it (the usual y = -0.2)
    covers the axis title on a short chart or a phone. Above the plot, it runs under the toolbar.
    """
    return {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"}


def log_axis(values, **extra) -> dict:
    """A log axis for ``values`` (arrays; NaN and non-positive entries ignored). Where they span a
    decade or more, every tick is a power of ten: Plotly's own choice there labels the minor
    ticks as bare digits ("2 3 5 ... 10 2 3"), which read as values."""
    axis = {"type": "log", "exponentformat": "power", **extra}
    finite = [np.asarray(v, np.float64) for v in values if v is not None and len(v)]
    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in finite]) if finite else np.zeros(0)
    if positive.size:
        decades = float(np.log10(positive.max()) - np.log10(positive.min()))
        if decades >= 1:
            axis["dtick"] = max(1, int(np.ceil(decades / 8)))  # at most about eight labels
    return axis


@dataclass(frozen=True)
class PathData:
    """One optimizer's path for plotting: points [k, 2], losses [k], a label and a colour."""

    label: str
    xy: np.ndarray
    loss: np.ndarray
    color: str
    diverged_at: int | None = None
    dash: str = "solid"  # line style in curve plots


def color(i: int) -> str:
    """The i-th run's colour."""
    return PALETTE[i % len(PALETTE)]


@functools.lru_cache(maxsize=1024)
def thin(n: int, most: int) -> np.ndarray:
    """At most ``most`` indices into range(n), evenly spread, first and last kept (read-only, shared)."""
    out = np.arange(n) if n <= most else np.unique(np.linspace(0, n - 1, most).round().astype(int))
    out.flags.writeable = False
    return out


def playback_marks(longest: int, frames: int, step: int = 0) -> list[int]:
    """The steps an animation shows: ``step`` first (where it opens), then evenly spread steps
    after it up to the last, at most about ``frames`` in all. The playback chart and its GIF
    show the same ones."""
    step = int(min(max(step, 0), max(longest - 1, 0)))
    return [step] + [int(m) for m in thin(max(longest, 1), frames) if m > step]


def display_z(values: np.ndarray, floor: float, log: bool) -> np.ndarray:
    """Heights as drawn: the loss itself, or log10(1 + loss - floor) for surfaces spanning decades.

    Pure: a caller that draws the same grid on every rerun keeps the result (the app's shared
    caches do), and hands it to the figure builders as ``shown``.
    """
    return _display(values, floor, log)


def _display(values, floor: float, log: bool) -> np.ndarray:
    values = np.asarray(values, np.float64)
    values = np.where(np.isfinite(values), values, np.nan)  # non-finite parts become gaps
    out = values.astype(np.float32) if not log else np.log10(1.0 + np.maximum(values - floor, 0.0)).astype(np.float32)
    out.flags.writeable = False
    return out


_SHORT_TYPES = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}
_NOT_ARRAYS = ("range", "domain", "tickvals", "ticktext")  # lists Plotly reads as plain JSON only


def typed_array(a: np.ndarray) -> dict | list:
    """A NumPy array as Plotly's typed-array spec (base64 bytes): compact, and quick to send."""
    a = np.asarray(a)
    if a.dtype == np.int64:
        a = a.astype(np.int32)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    if a.size == 0 or a.dtype.name not in _SHORT_TYPES:
        return a.tolist()
    out = {"dtype": _SHORT_TYPES[a.dtype.name], "bdata": base64.b64encode(np.ascontiguousarray(a).data).decode("ascii")}
    if a.ndim > 1:
        out["shape"] = ", ".join(str(n) for n in a.shape)
    return out


def encode(fig):
    """A figure (dicts, lists, NumPy arrays and scalars) as plain JSON-ready data, arrays as typed-array specs.

    Returns new containers; the input is left as it was, so cached pieces can be shared.
    """
    if isinstance(fig, dict):
        return {
            k: (v.tolist() if isinstance(v, np.ndarray) and k in _NOT_ARRAYS else encode(v)) for k, v in fig.items()
        }
    if isinstance(fig, (list, tuple)):
        return [encode(v) for v in fig]
    if isinstance(fig, np.ndarray):
        return typed_array(fig)
    if isinstance(fig, np.generic):
        return fig.item()
    return fig

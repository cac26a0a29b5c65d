"""The surface as a picture: a banded, contour-lined raster in the figures' own colours.

Plotly drops a contour trace the moment an animation starts (plotly.js issue 4596: traces a
frame does not name go invisible; redrawing every frame races with the animation and loses it
too), so the playback figure draws the surface as a layout image instead, which no frame
touches. The animated GIF export paints its frames on the same picture.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from optviz.plots.common import COLORSCALE, display_z

LINE = np.array([60, 70, 80], np.float64)  # contour lines, as in the contour figures
LINE_ALPHA = 0.35


def hex_rgb(color: str) -> np.ndarray:
    """ "#rrggbb" as an RGB float triple (0..255)."""
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], np.float64)


def colormap(t: np.ndarray) -> np.ndarray:
    """RGB [..., 3] (0..255 floats) of values ``t`` in [0, 1] on the figures' colour scale."""
    stops = np.array([s for s, _ in COLORSCALE])
    colors = np.stack([hex_rgb(str(c)) for _, c in COLORSCALE])
    return np.stack([np.interp(t, stops, colors[:, k]) for k in range(3)], axis=-1)


def _upsample(z: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resampling of a grid [ny, nx] to [size, size] (NaN spreads to its neighbours)."""
    ny, nx = z.shape
    rows = np.linspace(0, ny - 1, size)
    cols = np.linspace(0, nx - 1, size)
    r0 = np.clip(np.floor(rows).astype(int), 0, ny - 2)
    c0 = np.clip(np.floor(cols).astype(int), 0, nx - 2)
    fr, fc = (rows - r0)[:, None], (cols - c0)[None, :]
    a, b = z[r0][:, c0], z[r0][:, c0 + 1]
    c, d = z[r0 + 1][:, c0], z[r0 + 1][:, c0 + 1]
    return (a * (1 - fc) + b * fc) * (1 - fr) + (c * (1 - fc) + d * fc) * fr


def surface_image(z: np.ndarray, floor: float, log: bool, levels: int = 30, size: int = 400) -> np.ndarray:
    """The loss grid [ny, nx] (rows by y, upwards) as an RGB image [size, size, 3], top row = largest y.

    Heights are banded into ``levels`` steps with a thin line between bands, like the contour
    figures; where f is not finite the picture is white (a gap).
    """
    shown = _upsample(display_z(z, floor, log).astype(np.float64), size)
    finite = np.isfinite(shown)
    lo, hi = (np.nanmin(shown), np.nanmax(shown)) if finite.any() else (0.0, 1.0)
    t = np.where(finite, (shown - lo) / ((hi - lo) or 1.0), 0.0)
    band = np.minimum((t * levels).astype(int), levels - 1)
    rgb = colormap((band + 0.5) / levels)
    edge = np.zeros(band.shape, bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb = np.where(edge[..., None], (1 - LINE_ALPHA) * rgb + LINE_ALPHA * LINE, rgb)
    rgb = np.where(finite[..., None], rgb, 255.0)
    return rgb[::-1].round().astype(np.uint8)  # image rows run downwards


def png_data_uri(image: np.ndarray) -> str:
    """An RGB image as a PNG ``data:`` URI, for a figure's layout image."""
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def background(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, floor: float, log: bool) -> dict:
    """A Plotly layout image that covers the plot area's data range with the surface."""
    return {
        "source": png_data_uri(surface_image(z, floor, log)),
        "xref": "x",
        "yref": "y",
        "x": float(xs[0]),
        "y": float(ys[-1]),
        "sizex": float(xs[-1] - xs[0]),
        "sizey": float(ys[-1] - ys[0]),
        "sizing": "stretch",
        "layer": "below",
        "xanchor": "left",
        "yanchor": "top",
    }

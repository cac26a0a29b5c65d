"""The playback as an animated GIF, painted on the server in the figures' own colours.

What a teacher puts on a slide: the surface (optviz.plots.raster), every path advancing step
by step in its racer's colour, the start and the minima marked, the step in a corner and a
legend. Frames follow the playback figure's (the same evenly spread steps).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from optviz.plots.common import PathData, playback_marks, thin
from optviz.plots.raster import hex_rgb, surface_image

MAX_POINTS = 400  # per path and frame, as in the figures


def _to_pixels(xy: np.ndarray, xs: np.ndarray, ys: np.ndarray, size: int) -> np.ndarray:
    px = (xy[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (size - 1)
    py = (ys[-1] - xy[:, 1]) / (ys[-1] - ys[0]) * (size - 1)
    return np.stack([px, py], axis=1)


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, r: float = 7.0) -> None:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    points = [(x + rr * np.cos(a), y - rr * np.sin(a)) for rr, a in zip(radii, angles)]
    draw.polygon(points, fill=(255, 255, 255), outline=(0, 0, 0))


def _legend(draw: ImageDraw.ImageDraw, paths: Sequence[PathData]) -> None:
    for i, p in enumerate(paths):
        y = 6 + 14 * i
        draw.rectangle([6, y + 2, 20, y + 8], fill=tuple(int(v) for v in hex_rgb(p.color)))
        draw.text((25, y), p.label, fill=(20, 20, 20))


def playback_frames(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: Sequence[PathData],
    minima: Sequence[tuple[float, float, float]],
    start: tuple[float, float],
    floor: float,
    log: bool = False,
    frames: int = 60,
    size: int = 480,
    step: int = 0,
) -> list[Image.Image]:
    """The playback's frames as RGB images [size, size], from ``step`` (where the playback chart
    opens) to the end: the same steps as the chart's."""
    back = Image.fromarray(surface_image(z, floor, log, size=size))
    pixels = [_to_pixels(p.xy.astype(np.float64), xs, ys, size) for p in paths]
    colors = [tuple(int(v) for v in hex_rgb(p.color)) for p in paths]
    marks = _to_pixels(np.array([[m[0], m[1]] for m in minima]).reshape(-1, 2), xs, ys, size)
    sx, sy = _to_pixels(np.array([start], np.float64), xs, ys, size)[0]
    out = []
    for shown in playback_marks(max((len(p.xy) for p in paths), default=1), frames, step):
        img = back.copy()
        draw = ImageDraw.Draw(img)
        for mx, my in marks:
            _star(draw, mx, my)
        draw.ellipse([sx - 6, sy - 6, sx + 6, sy + 6], outline=(0, 0, 0), width=2)
        for pts, color in zip(pixels, colors):
            idx = thin(min(shown + 1, len(pts)), MAX_POINTS)
            if len(idx) > 1:
                draw.line([tuple(v) for v in pts[idx]], fill=color, width=3, joint="curve")
            if len(idx):
                x, y = pts[idx[-1]]
                draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=color)
        _legend(draw, paths)
        draw.text((size - 70, size - 16), f"step {shown}", fill=(20, 20, 20))
        out.append(img)
    return out


def playback_gif(*args, duration_ms: int = 80, **kwargs) -> bytes:
    """The playback as an animated GIF that loops (arguments as :func:`playback_frames`)."""
    images = playback_frames(*args, **kwargs)
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return out.getvalue()

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


class _Canvas:
    """The surface, its minima and the start, painted once; paths and a caption painted per frame."""

    def __init__(self, xs, ys, z, minima, start, floor: float, log: bool, size: int):
        self.xs, self.ys, self.size = xs, ys, size
        self.back = Image.fromarray(surface_image(z, floor, log, size=size))
        self.marks = self.pixels(np.array([[m[0], m[1]] for m in minima]).reshape(-1, 2))
        self.start = self.pixels(np.array([start], np.float64))[0]

    def pixels(self, xy: np.ndarray) -> np.ndarray:
        """Data coordinates as pixel positions on the picture."""
        return _to_pixels(xy.astype(np.float64), self.xs, self.ys, self.size)

    def frame(self, paths: Sequence[PathData], upto: Sequence[int], caption: str) -> Image.Image:
        """Each path drawn to its point ``upto[i]`` (a dot at the end), a legend and ``caption``."""
        img = self.back.copy()
        draw = ImageDraw.Draw(img)
        for mx, my in self.marks:
            _star(draw, mx, my)
        sx, sy = self.start
        draw.ellipse([sx - 6, sy - 6, sx + 6, sy + 6], outline=(0, 0, 0), width=2)
        for p, last in zip(paths, upto):
            color = tuple(int(v) for v in hex_rgb(p.color))
            xy = p.xy[: last + 1]
            xy = xy[np.all(np.isfinite(xy), axis=1)]  # a fan member that diverged: NaN after it
            pts = self.pixels(xy)[thin(len(xy), MAX_POINTS)]
            if len(pts) > 1:
                draw.line([tuple(v) for v in pts], fill=color, width=3, joint="curve")
            if len(pts):
                x, y = pts[-1]
                draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=color)
        _legend(draw, paths)
        draw.text((self.size - 8 - 6 * len(caption), self.size - 16), caption, fill=(20, 20, 20))
        return img


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
    canvas = _Canvas(xs, ys, z, minima, start, floor, log, size)
    marks = playback_marks(max((len(p.xy) for p in paths), default=1), frames, step)
    return [canvas.frame(paths, [shown] * len(paths), f"step {shown}") for shown in marks]


def fan_frames(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: Sequence[PathData],
    racer: int,
    members: Sequence[PathData],
    captions: Sequence[str],
    minima: Sequence[tuple[float, float, float]],
    start: tuple[float, float],
    floor: float,
    log: bool = False,
    size: int = 480,
) -> list[Image.Image]:
    """Frames over a setting instead of over steps: in frame i, racer ``racer``'s whole path is
    ``members[i]`` (the scrubber's fan) and ``captions[i]`` names its value; the others stay."""
    canvas = _Canvas(xs, ys, z, minima, start, floor, log, size)
    ends = [len(p.xy) - 1 for p in paths]
    return [
        canvas.frame(
            [m if k == racer else p for k, p in enumerate(paths)], ends[:racer] + [len(m.xy) - 1] + ends[racer + 1 :], c
        )
        for m, c in zip(members, captions)
    ]


def fan_gif(*args, duration_ms: int = 150, **kwargs) -> bytes:
    """The fan as an animated GIF that loops (arguments as :func:`fan_frames`)."""
    return _gif(fan_frames(*args, **kwargs), duration_ms)


def _gif(images: list[Image.Image], duration_ms: int) -> bytes:
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return out.getvalue()


def playback_gif(*args, duration_ms: int = 80, **kwargs) -> bytes:
    """The playback as an animated GIF that loops (arguments as :func:`playback_frames`)."""
    return _gif(playback_frames(*args, **kwargs), duration_ms)

"""What the figure builders share: path data, colours, thinning and the log view."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PALETTE = ("#e4572e", "#2e86ab", "#29a36a", "#8c4fc1", "#f2a541", "#d7263d", "#1b998b",
           "#6c757d", "#c2185b", "#3d5a80")


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


def thin(n: int, most: int) -> np.ndarray:
    """At most ``most`` indices into range(n), evenly spread, first and last kept."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


def display_z(values: np.ndarray, floor: float, log: bool) -> np.ndarray:
    """Heights as drawn: the loss itself, or log10(1 + loss - floor) for surfaces spanning decades."""
    values = np.asarray(values, np.float64)
    values = np.where(np.isfinite(values), values, np.nan)  # non-finite parts become gaps
    if not log:
        return values.astype(np.float32)
    return np.log10(1.0 + np.maximum(values - floor, 0.0)).astype(np.float32)

"""MNIST pictures: a grid of digits, with labels and predictions, mistakes in red; the edge of
stability; Adafactor's second-moment factors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz.plots.common import PALETTE, PathData
from optviz.plots.curves import curves_figure


def digits_figure(
    images: np.ndarray, labels: np.ndarray, predictions: np.ndarray | None = None, columns: int = 10
) -> dict:
    """Digits [n, 28, 28] tiled in rows of ``columns``; each captioned by its label (and prediction)."""
    n = len(images)
    rows = int(np.ceil(n / columns))
    pitch = 40  # 28 pixels of digit, then room for its caption
    tile = np.full((rows * pitch, columns * 30), 0, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        tile[r * pitch + 1 : r * pitch + 29, c * 30 + 1 : c * 30 + 29] = img
    annotations = []
    for k in range(n):
        r, c = divmod(k, columns)
        wrong = predictions is not None and predictions[k] != labels[k]
        text = f"{labels[k]}" if predictions is None else f"{predictions[k]}" + (f" (not {labels[k]})" if wrong else "")
        annotations.append(
            {
                "x": c * 30 + 15,
                "y": r * pitch + 30,
                "text": text,
                "showarrow": False,
                # light on the black strip under each digit (dark grey did not show)
                "font": {"size": 11, "color": "#ff6b6b" if wrong else "#eeeeee"},
                "yanchor": "top",
            }
        )
    data = [{"type": "heatmap", "z": tile, "colorscale": "Greys", "showscale": False, "hoverinfo": "skip"}]
    if predictions is not None:  # red frames around the mistakes
        for wrong_at in np.nonzero(predictions[:n] != labels[:n])[0]:
            r, c = divmod(int(wrong_at), columns)
            x0, y0 = c * 30, r * pitch
            data.append(
                {
                    "type": "scatter",
                    "x": [x0, x0 + 29, x0 + 29, x0, x0],
                    "y": [y0, y0, y0 + 29, y0 + 29, y0],
                    "mode": "lines",
                    "line": {"color": "#d7263d", "width": 2},
                    "showlegend": False,
                    "hoverinfo": "skip",
                }
            )
    layout = {
        "height": 80 * rows + 40,
        "margin": {"l": 0, "r": 0, "t": 10, "b": 30},
        "annotations": annotations,
        "xaxis": {"visible": False, "range": [-1, columns * 30]},
        "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x"},
    }
    return {"data": data, "layout": layout}


def edge_figure(
    optimizer: str,
    measured_at: Sequence[int],
    sharpness: Sequence[float],
    preconditioned: Sequence[float],
    threshold: Sequence[float],
    loss: Sequence[float],
) -> dict:
    """The edge of stability: sharpness (and preconditioned sharpness, dotted) at the measured
    steps against the threshold (dashed), beside the training loss. Measurements are evenly spaced."""
    steps = np.asarray(measured_at, np.float64)
    empty = np.zeros((0, 2), np.float32)
    series = [("sharpness λmax(H)", sharpness, "solid")]
    if len(preconditioned):
        series.append(("preconditioned λmax(P⁻¹H)", preconditioned, "dot"))
    if len(threshold):
        series.append(("threshold", threshold, "dash"))
    paths = [
        PathData(name, empty, empty[:, 0], PALETTE[i % len(PALETTE)], dash=dash)
        for i, (name, _, dash) in enumerate(series)
    ]
    every = int(steps[1] - steps[0]) if len(steps) > 1 else 1
    values = [np.asarray(v, np.float64)[: len(steps)] for _, v, _ in series]
    loss_path = [PathData(f"{optimizer}: training loss", empty, empty[:, 0], PALETTE[3])]
    return curves_figure(
        paths + loss_path,
        [
            ("sharpness (log)", values + [None], True, "step", every),
            ("training loss (log)", [None] * len(paths) + [np.asarray(loss)], True),
        ],
        height=320,
    )


def input_factor_image(col: np.ndarray) -> np.ndarray | None:
    """A first dense layer's column factor (one number per input feature) as a picture: 28x28
    pixels (logistic regression, MLP), or the CNN's 13x13x32 pooled features averaged over
    channels; None for other sizes."""
    col = np.asarray(col, np.float64).ravel()
    if col.size == 784:
        return col.reshape(28, 28)
    if col.size == 13 * 13 * 32:
        return col.reshape(13, 13, 32).mean(axis=-1)
    return None


def factor_figure(labels: Sequence[str], images: Sequence[np.ndarray], rows: Sequence[np.ndarray]) -> dict:
    """For each Adafactor run: its first dense layer's column factor as an image (the running mean
    of squared gradients per input feature, log10) above its row factor (per output unit)."""
    n = len(labels)
    layout: dict[str, Any]
    data, layout = [], {"height": 330, "margin": {"l": 40, "r": 10, "t": 30, "b": 30}, "annotations": []}
    for i, (label, image, row) in enumerate(zip(labels, images, rows)):
        x0, x1 = i / n + 0.02, (i + 1) / n - 0.02
        ax = "" if i == 0 else str(2 * i + 1)
        bx = str(2 * i + 2)
        data.append(
            {
                "type": "heatmap",
                "z": np.log10(np.maximum(image, 1e-30)).astype(np.float32),
                "colorscale": "Viridis",
                "showscale": False,
                "xaxis": f"x{ax}",
                "yaxis": f"y{ax}",
                "hovertemplate": "log10 C = %{z:.3g}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "bar",
                "y": np.asarray(row, np.float32).ravel(),
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "xaxis": f"x{bx}",
                "yaxis": f"y{bx}",
                "showlegend": False,
                "hovertemplate": "unit %{x}: R = %{y:.3g}<extra></extra>",
            }
        )
        layout[f"xaxis{ax}"] = {"domain": [x0, x1], "visible": False, "anchor": f"y{ax}"}
        layout[f"yaxis{ax}"] = {
            "domain": [0.35, 1.0],
            "visible": False,
            "autorange": "reversed",
            "scaleanchor": f"x{ax}",
            "anchor": f"x{ax}",
        }
        layout[f"xaxis{bx}"] = {"domain": [x0, x1], "anchor": f"y{bx}", "title": {"text": "output unit"}}
        layout[f"yaxis{bx}"] = {"domain": [0.0, 0.25], "type": "log", "anchor": f"x{bx}"}
        layout["annotations"].append(
            {"text": label, "x": (x0 + x1) / 2, "y": 1.08, "xref": "paper", "yref": "paper", "showarrow": False}
        )
    return {"data": data, "layout": layout}


def seeds_figure(
    labels: Sequence[str], seeds: Sequence[int], test: Sequence[Sequence[float]], height: int = 300
) -> dict:
    """Each optimizer's final test accuracy (in %) per seed, one colour per optimizer, its mean dashed:
    the spread one compares a gap with."""
    data: list[dict] = []
    for k, (label, accs) in enumerate(zip(labels, test)):
        color = PALETTE[k % len(PALETTE)]
        pct = 100 * np.asarray(accs, np.float64)
        data.append(
            {
                "type": "scatter",
                "x": [str(s) for s in seeds],
                "y": pct,
                "mode": "markers+lines",
                "name": label,
                "line": {"color": color, "width": 1},
                "marker": {"color": color, "size": 9},
                "hovertemplate": "seed %{x}: %{y:.2f}%<extra>" + label.replace("<", "&lt;") + "</extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": [str(seeds[0]), str(seeds[-1])],
                "y": [float(pct.mean())] * 2,
                "mode": "lines",
                "showlegend": False,
                "hoverinfo": "skip",
                "line": {"color": color, "dash": "dash", "width": 1.5},
            }
        )
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"},
        "xaxis": {"title": {"text": "seed (initialisation and batch order)"}, "type": "category"},
        "yaxis": {"title": {"text": "test accuracy (%)"}},
    }
    return {"data": data, "layout": layout}

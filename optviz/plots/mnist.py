"""MNIST pictures: a grid of digits, with labels and predictions, mistakes in red."""

from __future__ import annotations

import numpy as np


def digits_figure(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray | None = None,
                  columns: int = 10) -> dict:
    """Digits [n, 28, 28] tiled in rows of ``columns``; each captioned by its label (and prediction)."""
    n = len(images)
    rows = int(np.ceil(n / columns))
    pitch = 40  # 28 pixels of digit, then room for its caption
    tile = np.full((rows * pitch, columns * 30), 0, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        tile[r * pitch + 1: r * pitch + 29, c * 30 + 1: c * 30 + 29] = img
    annotations = []
    for k in range(n):
        r, c = divmod(k, columns)
        wrong = predictions is not None and predictions[k] != labels[k]
        text = f"{labels[k]}" if predictions is None else f"{predictions[k]}" + (f" (not {labels[k]})" if wrong else "")
        annotations.append({"x": c * 30 + 15, "y": r * pitch + 30, "text": text, "showarrow": False,
                            "font": {"size": 11, "color": "#d7263d" if wrong else "#333"}, "yanchor": "top"})
    data = [{"type": "heatmap", "z": tile, "colorscale": "Greys", "showscale": False, "hoverinfo": "skip"}]
    if predictions is not None:  # red frames around the mistakes
        for k in np.nonzero(predictions[:n] != labels[:n])[0]:
            r, c = divmod(int(k), columns)
            x0, y0 = c * 30, r * pitch
            data.append({"type": "scatter", "x": [x0, x0 + 29, x0 + 29, x0, x0], "y": [y0, y0, y0 + 29, y0 + 29, y0],
                         "mode": "lines", "line": {"color": "#d7263d", "width": 2}, "showlegend": False,
                         "hoverinfo": "skip"})
    layout = {"height": 80 * rows + 40, "margin": {"l": 0, "r": 0, "t": 10, "b": 30}, "annotations": annotations,
              "xaxis": {"visible": False, "range": [-1, columns * 30]},
              "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x"}}
    return {"data": data, "layout": layout}

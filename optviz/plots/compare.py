"""The Compare page's figures: performance profiles, robustness, and the LR range test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from optviz.plots.common import PALETTE, legend_below, log_axis


def profile_figure(tau: np.ndarray, rho: Mapping[str, np.ndarray]) -> dict:
    """rho_o(tau) as step curves on a log tau axis, one colour per optimizer."""
    data = [
        {
            "type": "scatter",
            "x": np.asarray(tau, np.float64),
            "y": np.asarray(r, np.float64),
            "name": name,
            "mode": "lines",
            "line": {"shape": "hv", "width": 2.5, "color": PALETTE[i % len(PALETTE)]},
            "hovertemplate": f"{name}<br>τ=%{{x:.3g}}: %{{y:.0%}} of problems<extra></extra>",
        }
        for i, (name, r) in enumerate(rho.items())
    ]
    layout = {
        "height": 380,
        "margin": {"l": 60, "r": 10, "t": 30, "b": 50},
        "xaxis": {"type": "log", "title": {"text": "τ: within this factor of the best optimizer's steps"}},
        "yaxis": {"range": [0, 1.02], "tickformat": ".0%", "title": {"text": "ρ(τ): fraction of problems"}},
        "legend": legend_below(),
    }
    return {"data": data, "layout": layout}


def robustness_figure(names: Sequence[str], lrs: np.ndarray, reached: np.ndarray) -> dict:
    """For each optimizer: the fraction of problems each tried lr solved, against lr (log)."""
    data = [
        {
            "type": "scatter",
            "x": np.asarray(lrs[i], np.float64),
            "y": np.asarray(reached[i], np.float64),
            "name": name,
            "mode": "lines+markers",
            "line": {"color": PALETTE[i % len(PALETTE)]},
            "hovertemplate": f"{name}<br>lr=%{{x:.3g}}: %{{y:.0%}} of problems<extra></extra>",
        }
        for i, name in enumerate(names)
    ]
    layout = {
        "height": 320,
        "margin": {"l": 60, "r": 10, "t": 30, "b": 50},
        "xaxis": log_axis(list(lrs), title={"text": "learning rate tried"}),
        "yaxis": {"range": [0, 1.02], "tickformat": ".0%", "title": {"text": "problems on target"}},
        "legend": legend_below(),
    }
    return {"data": data, "layout": layout}


def range_test_figure(
    lrs: np.ndarray,
    smoothed: np.ndarray,
    grid_lrs: np.ndarray,
    grid_scores: np.ndarray,
    suggested: Mapping[str, float],
    best_lr: float,
) -> dict:
    """The range test's smoothed loss against lr, beside the grid's mean loss of constant-lr runs;
    vertical lines at the test's suggestions and at the grid's best."""
    finite = np.isfinite(grid_scores)
    data = [
        {
            "type": "scatter",
            "x": np.asarray(lrs, np.float64),
            "y": np.asarray(smoothed, np.float64),
            "name": "range test: smoothed loss",
            "mode": "lines",
            "line": {"color": PALETTE[0], "width": 2.5},
        },
        {
            "type": "scatter",
            "x": np.asarray(grid_lrs[finite], np.float64),
            "y": np.asarray(grid_scores[finite], np.float64),
            "name": "truth: mean loss of a constant-lr run",
            "mode": "lines+markers",
            "line": {"color": PALETTE[1], "dash": "dot"},
        },
    ]
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    marks = [(f"{name}: {lr:.3g}", lr, PALETTE[2 + i]) for i, (name, lr) in enumerate(suggested.items())]
    for text, lr, color in marks + [(f"grid's best: {best_lr:.3g}", best_lr, "#222")]:
        shapes.append(
            {
                "type": "line",
                "x0": lr,
                "x1": lr,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": color, "dash": "dash", "width": 1.5},
            }
        )
        notes.append(
            {
                "x": float(np.log10(lr)),
                "yref": "paper",
                "y": 1.02 + 0.06 * len(notes),
                "text": text,
                "showarrow": False,
                "font": {"color": color, "size": 11},
            }
        )
    layout = {
        "height": 400,
        "margin": {"l": 60, "r": 10, "t": 70, "b": 50},
        "shapes": shapes,
        "annotations": notes,
        "xaxis": log_axis([lrs, grid_lrs], title={"text": "learning rate"}),
        "yaxis": log_axis([smoothed, grid_scores], title={"text": "loss"}),
        "legend": legend_below(),
    }
    return {"data": data, "layout": layout}

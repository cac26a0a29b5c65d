"""Every figure builder's dict is a valid Plotly figure, and its encoding keeps every value.

The app sends these dicts without validating them on each rerun (optviz.ui.charts), so this
is where they are checked against Plotly's schema: ``go.Figure(fig)`` raises on any property
Plotly does not know or any value it would refuse.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.analysis import gradient_field, loss_grid
from optviz.plots.common import PathData, encode, typed_array
from optviz.plots.curves import curves_figure, state_figure
from optviz.plots.heatmap import heatmap_figure
from optviz.plots.landscape import arrow_trace, contour_figure, playback_figure, surface_figure
from optviz.plots.mnist import digits_figure
from optviz.surfaces import SURFACES


def _paths(n: int = 3, steps: int = 700) -> list[PathData]:
    t = np.linspace(0, 1, steps + 1)
    out = []
    for i in range(n):
        xy = np.stack([np.cos(3 * t + i), np.sin(2 * t - i)], 1).astype(np.float32)
        out.append(PathData(f"run {i} <b>", xy, (xy**2).sum(1), f"#0{i}0{i}0{i}", diverged_at=steps if i == 1 else None))
    return out


def _grid():
    s = SURFACES["himmelblau"]
    xs, ys, z = loss_grid(s)
    return s, xs, ys, z


def figures() -> dict[str, dict]:
    s, xs, ys, z = _grid()
    paths = _paths()
    minima = [(m.x, m.y, m.f) for m in s.minima]
    pts, grads, _ = gradient_field(s)
    arrows = arrow_trace(pts, grads, cell=0.6)
    state = {"m": np.random.default_rng(0).normal(size=(300, 2)), "gamma": np.arange(300.0)}
    heat = np.where(np.random.default_rng(1).random((12, 9)) > 0.2, np.random.default_rng(2).normal(size=(12, 9)), np.nan)
    digits = np.random.default_rng(3).integers(0, 255, (20, 28, 28), dtype=np.uint8)
    labels = np.arange(20) % 10
    return {
        "surface": surface_figure(xs, ys, z, paths, minima, s.start, 30.0, 0.0, log=True, key="s"),
        "contour": contour_figure(xs, ys, z, paths, minima, s.start, 0.0, log=False, arrows=arrows, key="c"),
        "playback": playback_figure(xs, ys, z, paths, minima, s.start, 0.0, log=True),
        "curves": curves_figure(paths, [("loss", [p.loss for p in paths], True),
                                        ("distance", [None, paths[1].loss, paths[2].loss], False, "epoch", 5)]),
        "state": state_figure(state, {"m": "first moment"}, "#123456"),
        "heatmap": heatmap_figure(heat, np.geomspace(1e-4, 1, 9), np.linspace(0, 0.99, 12), "lr", "b1", True, False,
                                  "log10 loss", "Adam", (3, 4), (0, 0), (5, 5)),
        "basins": heatmap_figure(heat.round() % 3, np.linspace(-5, 5, 9), np.linspace(-5, 5, 12), "x", "y", False,
                                 False, "minimum", "RMSprop", None, None, categorical=["a", "b", "c"], clickable=False),
        "digits": digits_figure(digits, labels, (labels + (np.arange(20) % 7 == 0)) % 10),
    }


@pytest.mark.parametrize("name", list(figures()))
def test_builder_output_is_a_valid_plotly_figure(name):
    fig = figures()[name]
    assert isinstance(fig, dict) and fig["data"]
    go.Figure(fig)  # raises ValueError on anything Plotly would refuse
    json.dumps(encode(fig), allow_nan=False)  # encoded, it is strict JSON (no NaN outside typed arrays)


def _decode(spec):
    raw = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    return raw.reshape([int(n) for n in spec["shape"].split(",")]) if "shape" in spec else raw


def test_encoding_keeps_every_value_and_leaves_the_input_alone():
    z = np.array([[1.5, np.nan], [-2.0, 3.25]], np.float32)
    fig = {"data": [{"type": "heatmap", "z": z, "x": np.arange(2), "text": ["a", "b"]}],
           "layout": {"xaxis": {"range": np.array([0.0, 1.0])}}}
    out = encode(fig)
    np.testing.assert_array_equal(_decode(out["data"][0]["z"]), z)  # NaN kept as a gap
    assert out["data"][0]["x"]["dtype"] == "i4" and _decode(out["data"][0]["x"]).tolist() == [0, 1]
    assert out["layout"]["xaxis"]["range"] == [0.0, 1.0]  # plain JSON where Plotly wants it
    assert isinstance(fig["data"][0]["z"], np.ndarray)  # the input is untouched
    assert typed_array(np.array([True, False]))["dtype"] == "u1"

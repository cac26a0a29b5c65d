"""Every figure builder's dict is a valid Plotly figure, and its encoding keeps every value.

The app sends these dicts without validating them on each rerun (optviz.app.kit.charts), so this
is where they are checked against Plotly's schema: ``go.Figure(fig)`` raises on any property
Plotly does not know or any value it would refuse.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.core.analysis.measures import gradient_field, loss_grid
from optviz.core.problems.surfaces import SURFACES
from optviz.plots.common import PathData, encode, typed_array
from optviz.plots.curves import curves_figure, loglog_figure, stability_figure, state_figure
from optviz.plots.heatmap import heatmap_figure
from optviz.plots.mnist import digits_figure, edge_figure, seeds_figure
from optviz.plots.surface_figures import arrow_trace, contour_figure, playback_figure, surface_figure


def _paths(n: int = 3, steps: int = 700) -> list[PathData]:
    t = np.linspace(0, 1, steps + 1)
    out = []
    for i in range(n):
        xy = np.stack([np.cos(3 * t + i), np.sin(2 * t - i)], 1).astype(np.float32)
        out.append(
            PathData(f"run {i} <b>", xy, (xy**2).sum(1), f"#0{i}0{i}0{i}", diverged_at=steps if i == 1 else None)
        )
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
    heat = np.where(
        np.random.default_rng(1).random((12, 9)) > 0.2, np.random.default_rng(2).normal(size=(12, 9)), np.nan
    )
    digits = np.random.default_rng(3).integers(0, 255, (20, 28, 28), dtype=np.uint8)
    labels = np.arange(20) % 10
    return {
        "surface": surface_figure(xs, ys, z, paths, minima, s.start, 30.0, 0.0, log=True, key="s"),
        "contour": contour_figure(xs, ys, z, paths, minima, s.start, 0.0, log=False, arrows=arrows, key="c"),
        "playback": playback_figure(xs, ys, z, paths, minima, s.start, 0.0, log=True),
        "curves": curves_figure(
            paths,
            [
                ("loss", [p.loss for p in paths], True),
                ("distance", [None, paths[1].loss, paths[2].loss], False, "epoch", 5),
            ],
        ),
        "state": state_figure(state, {"m": "first moment"}, "#123456"),
        "heatmap": heatmap_figure(
            heat,
            np.geomspace(1e-4, 1, 9),
            np.linspace(0, 0.99, 12),
            "lr",
            "b1",
            True,
            False,
            "log10 loss",
            "Adam",
            (3, 4),
            (0, 0),
            (5, 5),
        ),
        "basins": heatmap_figure(
            heat.round() % 3,
            np.linspace(-5, 5, 9),
            np.linspace(-5, 5, 12),
            "x",
            "y",
            False,
            False,
            "minimum",
            "RMSprop",
            None,
            None,
            categorical=["a", "b", "c"],
            clickable=False,
            equal_scale=True,
        ),
        "digits": digits_figure(digits, labels, (labels + (np.arange(20) % 7 == 0)) % 10),
        "stability": stability_figure(
            paths,
            [
                {"sharpness": np.full(700, 25.0), "threshold": np.full(700, 40.0)},
                {"sharpness": np.linspace(1, 9, 700), "preconditioned_sharpness": np.linspace(0, 900, 700)},
                {},
            ],
        ),
        "edge": edge_figure("sgd", [0, 10, 20], [44.0, 2.4, 9.8], [], [10.0, 10.0, 10.0], np.linspace(1, 0.1, 20)),
        "loglog": loglog_figure(
            [("Adam", "#0077BB", np.geomspace(1e-9, 1e3, 9), np.linspace(0.1, 1, 9))], "gradient", "first step / lr"
        ),
        "seeds": seeds_figure(["Adam", "SGD"], [0, 1, 2], [[0.9, 0.91, 0.89], [0.92, 0.9, 0.905]]),
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
    fig = {
        "data": [{"type": "heatmap", "z": z, "x": np.arange(2), "text": ["a", "b"]}],
        "layout": {"xaxis": {"range": np.array([0.0, 1.0])}},
    }
    out = encode(fig)
    np.testing.assert_array_equal(_decode(out["data"][0]["z"]), z)  # NaN kept as a gap
    assert out["data"][0]["x"]["dtype"] == "i4" and _decode(out["data"][0]["x"]).tolist() == [0, 1]
    assert out["layout"]["xaxis"]["range"] == [0.0, 1.0]  # plain JSON where Plotly wants it
    assert isinstance(fig["data"][0]["z"], np.ndarray)  # the input is untouched
    assert typed_array(np.array([True, False]))["dtype"] == "u1"


# Machado, Oliveira & Fernandes (2009), severity 1.0: linear RGB -> what a dichromat sees.
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}


def _lab(hexes, vision: str) -> np.ndarray:
    """CIELAB (D65) of sRGB colours as seen under ``vision``."""
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hexes]) / 255.0
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(lin @ CVD[vision].T, 0, 1)
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], -1)


@pytest.mark.parametrize("vision", list(CVD))
def test_ten_racer_colours_stay_apart_for_colour_blind_eyes(vision):
    from optviz.core.limits import MAX_RUNS, RACER_COLORS
    from optviz.plots.common import COLORSCALE, PALETTE

    assert len(set(PALETTE)) == len(PALETTE) == RACER_COLORS == 10 >= MAX_RUNS  # a link's colour numbers
    lab = _lab(PALETTE, vision)
    gaps = np.linalg.norm(lab[:, None] - lab[None], axis=-1) + np.eye(10) * 1e9
    assert gaps.min() >= 19, f"two racer colours look alike under {vision}: delta E {gaps.min():.1f}"
    background = _lab([c for _, c in COLORSCALE], "normal")
    assert np.linalg.norm(_lab(PALETTE, "normal")[:, None] - background[None], axis=-1).min() >= 25


def test_the_playback_gif_paints_every_path_on_the_surface():
    import io
    from dataclasses import replace

    from PIL import Image

    from optviz.plots.animation import playback_gif
    from optviz.plots.common import PALETTE
    from optviz.plots.raster import hex_rgb

    s, xs, ys, z = _grid()
    paths = [replace(p, color=c) for p, c in zip(_paths(n=2, steps=150), PALETTE[1:3])]
    gif = Image.open(
        io.BytesIO(
            playback_gif(
                xs, ys, z, paths, [(m.x, m.y, m.f) for m in s.minima], s.start, 0.0, log=True, frames=20, size=300
            )
        )
    )
    assert gif.n_frames == 20 and gif.size == (300, 300)
    gif.seek(19)
    last = np.asarray(gif.convert("RGB"), np.float64)
    assert last[150:250, 150:250].mean() < 235  # the surface, not white
    for p in paths:  # each path ends at its last point, in its colour
        x, y = p.xy[-1]
        px = round((x - xs[0]) / (xs[-1] - xs[0]) * 299)
        py = round((ys[-1] - y) / (ys[-1] - ys[0]) * 299)
        patch = last[max(py - 2, 0) : py + 3, max(px - 2, 0) : px + 3].reshape(-1, 3)
        assert np.abs(patch - hex_rgb(p.color)).sum(axis=1).min() < 40


def test_factor_figure_passes_plotlys_schema():
    from optviz.plots.mnist import factor_figure, input_factor_image

    rng = np.random.default_rng(0)
    images = [input_factor_image(rng.random(784)), input_factor_image(rng.random(5408))]
    assert images[0].shape == (28, 28) and images[1].shape == (13, 13) and input_factor_image(rng.random(10)) is None
    fig = factor_figure(["Adafactor", "Adafactor (lr=0.1)"], images, [rng.random((10, 1)), rng.random((128, 1))])
    go.Figure(fig)
    assert [t["type"] for t in fig["data"]] == ["heatmap", "bar", "heatmap", "bar"]


def _gif_frames(gif: bytes) -> list[np.ndarray]:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(gif))
    out = []
    for k in range(image.n_frames):
        image.seek(k)
        out.append(np.asarray(image.convert("RGB"), np.int16))
    return out


def test_the_gif_starts_where_the_playback_chart_opens():
    from optviz.plots.animation import playback_gif

    s, xs, ys, z = _grid()
    paths, minima = _paths(n=2, steps=150), [(m.x, m.y, m.f) for m in s.minima]
    args = (xs, ys, z, paths, minima, s.start, 0.0, True)
    chart = playback_figure(*args, frames=20, step=90)
    from_90 = _gif_frames(playback_gif(*args, frames=20, size=200, step=90))
    from_0 = _gif_frames(playback_gif(*args, frames=20, size=200))
    assert len(from_90) == len(chart["frames"]) < len(from_0)  # the same steps as the chart: 90 and after
    assert chart["frames"][0]["name"] == "90"
    # its first frame has the paths drawn to step 90 already: more of the picture differs from the bare surface
    bare = _gif_frames(playback_gif(xs, ys, z, [], minima, s.start, 0.0, True, frames=2, size=200))[0]
    drawn = lambda frame: int((np.abs(frame - bare).sum(axis=-1) > 60).sum())
    assert drawn(from_90[0]) > drawn(from_0[0]) + 200


def test_log_axes_that_span_decades_are_labelled_in_powers_of_ten():
    paths = _paths(n=2, steps=300)
    fig = curves_figure(paths, [("loss − min f (log)", [np.geomspace(1, 1e-3, 301), np.geomspace(2, 1e-2, 301)], True)])
    assert fig["layout"]["yaxis"]["type"] == "log" and fig["layout"]["yaxis"]["dtick"] == 1
    narrow = curves_figure(paths, [("loss", [np.linspace(2, 5, 301), None], True)])
    assert "dtick" not in narrow["layout"]["yaxis"]  # under a decade Plotly writes whole numbers itself


def test_every_legend_sits_under_its_axis_titles_and_a_strip_may_have_none():
    for name, fig in figures().items():
        legend = fig["layout"].get("legend")
        if legend is not None:
            assert legend.get("yref") == "container" and legend.get("y") == 0, name
    strip = curves_figure(_paths(n=2), [("lr", [p.loss for p in _paths(n=2)], False, "update t")], legend=False)
    assert strip["layout"]["showlegend"] is False


def test_basins_are_flat_colours_with_a_legend_and_a_start_grid_is_drawn_to_scale():
    fig = figures()["basins"]
    heat = fig["data"][0]
    assert heat["showscale"] is False and heat["zmin"] == -2.5 and heat["zmax"] == 2.5
    scale = heat["colorscale"]
    assert all(scale[2 * i][1] == scale[2 * i + 1][1] for i in range(len(scale) // 2))  # bands, nothing blends
    names = [t["name"] for t in fig["data"] if t.get("marker", {}).get("symbol") == "square"]
    assert names == ["c", "b", "a", "no minimum reached", "diverged"]
    assert fig["layout"]["yaxis"]["scaleanchor"] == "x"


def test_markers_show_on_any_cell_colour():
    fig = figures()["heatmap"]
    default = [t for t in fig["data"] if t.get("name") == "default"]
    assert {t["marker"]["color"] for t in default} == {"#111111", "#ffffff"}  # a dark mark in a white rim


def test_top_views_draw_no_white_zero_lines_and_no_overlapping_divergence_labels():
    for name in ("contour", "playback"):
        layout = figures()[name]["layout"]
        assert layout["xaxis"]["zeroline"] is False and layout["yaxis"]["zeroline"] is False
    for name in ("contour", "surface"):
        marks = [t for t in figures()[name]["data"] if t.get("marker", {}).get("symbol") == "x"]
        assert marks and all(
            "text" not in t.get("mode", "") and "diverged at step" in t["hovertemplate"] for t in marks
        )


def test_the_3d_view_keeps_its_z_title_whole_and_in_frame():
    layout = figures()["surface"]["layout"]["scene"]
    assert len(layout["zaxis"]["title"]["text"]) <= 14  # "log10(1 + f - min f)" was clipped to "(…"
    eye = layout["camera"]["eye"]
    assert np.hypot(eye["x"], eye["y"]) >= 2.3  # far enough back that the z axis stays inside the frame


def test_digit_captions_are_light_on_the_black_strip():
    from optviz.plots.raster import hex_rgb

    fig = figures()["digits"]
    for note in fig["layout"]["annotations"]:
        r, g, b = hex_rgb(note["font"]["color"])
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b > 120, note  # not dark grey on black

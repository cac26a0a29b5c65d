"""The what-if scrubber's figures: every slider step draws exactly its fan member, in both views."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.core.analysis.measures import loss_grid
from optviz.core.engine.fan import current_index, fan_values, run_fan
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import parse_surface_spec
from optviz.plots.common import PathData, display_z, encode
from optviz.plots.raster import background
from optviz.plots.scrub import FanData, racer_path, scrub_3d, scrub_top
from optviz.plots.surface_figures import (
    MAX_DRAWN_POINTS,
    contour_figure,
    lift_of,
    path_2d,
    path_3d,
    surface_figure,
)

SURFACE = SURFACES["himmelblau"]
START = (-0.3, -0.9)


def _fan(spec: str = "momentum:lr=0.01", key: str = "lr", steps: int = 300, k: int = 24) -> FanData:
    spec_ = parse_surface_spec(spec)
    values = fan_values(spec_, key, k, START, (-5.0, 5.0), steps)
    fan = run_fan(SURFACE, START, steps, spec_, key, values)
    current = current_index(fan.values, spec_, key, START)
    return FanData(
        "SGD + momentum (lr=0.01)",
        "SGD + momentum",
        "#E69F00",
        key,
        fan.values,
        fan.paths,
        fan.losses,
        fan.diverged_at,
        current,
    )


def _figures(fan: FanData) -> tuple[dict, dict]:
    xs, ys, z = loss_grid(SURFACE)
    other = PathData("Adam", np.array([START, (0.0, 0.0)], np.float32), np.array([5.0, 1.0], np.float32), "#0077BB")
    paths = racer_path([other, PathData(fan.label, np.zeros((1, 2)), np.zeros(1), fan.color)], fan)
    minima = [(m.x, m.y, m.f) for m in SURFACE.minima]
    loss0 = float(fan.losses[fan.current, 0])
    top = contour_figure(xs, ys, z, paths, minima, START, 0.0, True, key="k")
    three = surface_figure(xs, ys, z, paths, minima, START, loss0, 0.0, True, key="k")
    picture = background(xs, ys, z, 0.0, True)
    return scrub_top(top, fan, 0.0, True, picture), scrub_3d(three, fan, xs, ys, display_z(z, 0.0, True), 0.0, True)


def _decode(value) -> np.ndarray:
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value, np.float64)


def _steps(fig: dict):
    """Each slider step's frame: (its data by trace index, the step) in slider order."""
    enc = encode(fig)
    frames = {f["name"]: f for f in enc["frames"]}
    for step in enc["layout"]["sliders"][0]["steps"]:
        assert step["method"] == "animate"
        frame = frames[step["args"][0][0]]
        yield dict(zip(frame["traces"], frame["data"])), step


def _trace(fig: dict, name: str) -> int:
    return next(i for i, t in enumerate(fig["data"]) if t.get("name") == name)


@pytest.fixture(scope="module")
def fan() -> FanData:
    return _fan()


def test_scrubbed_views_are_valid_plotly_figures_in_strict_json(fan):
    for fig in _figures(fan):
        go.Figure(fig)
        json.dumps(encode(fig), allow_nan=False)


def test_every_step_of_the_top_view_draws_its_members_path_and_loss(fan):
    top, _ = _figures(fan)
    slider = encode(top)["layout"]["sliders"][0]
    path, curve = _trace(top, fan.label), _trace(top, f"{fan.label}: loss")
    assert len(slider["steps"]) == len(fan.values) and slider["active"] == fan.current
    for i, (data, step) in enumerate(_steps(top)):
        assert step["label"] == fan.labels()[i] and float(step["value"]) == fan.values[i]
        want = path_2d(fan.member(i))
        np.testing.assert_array_equal(_decode(data[path]["x"]), want["x"])
        np.testing.assert_array_equal(_decode(data[path]["y"]), want["y"])
        idx = _decode(data[curve]["x"]).astype(int)
        loss = fan.losses[i, idx]
        np.testing.assert_allclose(_decode(data[curve]["y"]), np.where(loss > 0, loss, np.nan))


def test_every_step_of_the_3d_view_draws_its_member_on_the_surface(fan):
    _, three = _figures(fan)
    xs, ys, z = loss_grid(SURFACE)
    path = _trace(three, fan.label)
    lift = lift_of(display_z(z, 0.0, True))
    for i, (data, _) in enumerate(_steps(three)):
        want = path_3d(fan.member(i), xs, ys, 0.0, True, lift)
        for axis in "xyz":
            np.testing.assert_array_equal(_decode(data[path][axis]), want[axis])


def test_the_slider_opens_at_the_racers_own_value_and_names_each_value_in_three_figures(fan):
    assert fan.values[fan.current] == 0.01
    labels = fan.labels()
    assert labels[fan.current] == "lr=0.01" and all(label.startswith("lr=") for label in labels)
    assert all(len(label.split("=")[1].replace(".", "").replace("e-", "").lstrip("0")) <= 4 for label in labels)


def test_runs_that_diverged_are_marked_where_they_left_and_the_others_are_not(fan):
    top, _ = _figures(fan)
    marks = top["data"][_trace(top, "where runs diverged")]
    diverged = np.flatnonzero(fan.diverged_at >= 0)
    assert 0 < len(diverged) < len(fan.values)  # the fan crosses where momentum starts to diverge
    assert len(marks["x"]) == len(diverged)
    for x, text, i in zip(marks["x"], marks["text"], diverged):
        assert x == fan.last_point(i) and text.endswith(f"diverged at step {fan.diverged_at[i]}")
    end = _trace(top, f"{fan.label}: diverged")
    for i, (data, _) in enumerate(_steps(top)):
        assert len(_decode(data[end]["x"])) == (1 if fan.diverged_at[i] >= 0 else 0)


def test_scrubbing_the_start_moves_the_start_marker_with_the_path():
    fan = _fan("adam:lr=0.05", "start_x", 200, 12)
    top, _ = _figures(fan)
    start = _trace(top, "start")
    for i, (data, _) in enumerate(_steps(top)):
        assert _decode(data[start]["x"])[0] == pytest.approx(fan.values[i])


def test_a_page_with_a_48_member_fan_of_500_steps_stays_under_2_mb():
    fan = _fan("adam:lr=0.05", "lr", 500, 48)
    top, three = _figures(fan)
    assert len(fan.member(0).xy) == 501 and MAX_DRAWN_POINTS < 501  # paths as drawn: thinned
    size = sum(len(json.dumps(encode(f))) for f in (top, three))
    assert size < 2_000_000, size


def test_the_fan_gif_has_a_frame_per_value_each_ending_where_its_member_ends(fan):
    from PIL import Image

    from optviz.plots.animation import fan_gif
    from optviz.plots.raster import hex_rgb

    xs, ys, z = loss_grid(SURFACE)
    other = PathData("Adam", np.array([START, (0.0, 0.0)], np.float32), np.array([5.0, 1.0], np.float32), "#0077BB")
    members = [fan.member(i) for i in range(len(fan.values))]
    paths = [other, members[fan.current]]
    gif = Image.open(io.BytesIO(fan_gif(xs, ys, z, paths, 1, members, fan.labels(), [], START, 0.0, True, size=300)))
    assert gif.n_frames == len(fan.values)
    for i in (0, len(fan.values) // 2, int(np.flatnonzero(fan.diverged_at >= 0)[0])):
        gif.seek(i)
        img = np.asarray(gif.convert("RGB"), np.float64)
        x, y = fan.paths[i, fan.last_point(i)]
        if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
            continue  # a run that left the picture ends outside it
        px, py = round((x - xs[0]) / (xs[-1] - xs[0]) * 299), round((ys[-1] - y) / (ys[-1] - ys[0]) * 299)
        patch = img[max(py - 2, 0) : py + 3, max(px - 2, 0) : px + 3].reshape(-1, 3)
        assert np.abs(patch - hex_rgb(fan.color)).sum(axis=1).min() < 40, i

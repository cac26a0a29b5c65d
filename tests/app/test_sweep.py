"""The Sweep page under AppTest: heatmaps, metrics, comparison, the inspected cell, the link, exports."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from optviz.core.engine.trajectory import run_one
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import make_spec, parse_axis
from optviz.link import SweepConfig
from tests.apptools import download, open_page, path_trace, query, shown, xy

pytestmark = pytest.mark.app

SWEEP = "optviz/app/scripts/sweep.py"


def _open():
    return open_page(SWEEP)


def _figs(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _heatmaps(at):
    return [f for f in _figs(at) if f["data"][0]["type"] == "heatmap"]


def _cell_sliders(at):
    x = next(s for s in at.select_slider if s.key.startswith("sw_cell_x_"))
    y = next(s for s in at.select_slider if s.key.startswith("sw_cell_y_"))
    return x, y


def _inspected(at) -> dict:
    """Everything that names the inspected cell: its sliders, its marker, its path's label and start."""
    x, y = _cell_sliders(at)
    heat = _heatmaps(at)[0]
    marker = path_trace(heat, "inspected")
    contour = next(f for f in _figs(at) if f["data"][0]["type"] == "contour")
    run = next(t for t in contour["data"] if t.get("mode") == "lines+markers" and t["name"] not in ("start", "minima"))
    return {
        "x": x.format_func(x.value),
        "y": y.format_func(y.value),
        "marker": (marker["x"][0], marker["y"][0]),
        "label": run["name"],
        "path_start": xy(run)[0][0],
        "path_start_y": xy(run)[1][0],
    }


@pytest.fixture(scope="module")
def sweep_app():  # read only: a test that changes a control opens its own session
    at = _open()
    at.number_input(key="sw_x_n").set_value(16).run()
    at.number_input(key="sw_y_n").set_value(12).run()
    return at


def test_default_sweep_renders_a_heatmap(sweep_app):
    at = sweep_app
    assert not at.exception and not at.error and not at.warning
    [heat] = _heatmaps(at)
    names = [t.get("name") for t in heat["data"]]
    assert "default" in names and "best" in names and "cells" in names
    assert any("192 runs × 500 steps" in c.value for c in at.caption)


def test_inspect_a_cell_shows_that_run():
    at = _open()  # its own session: the shared fixture stays as it was for the other tests
    at.number_input(key="sw_x_n").set_value(16).run()
    at.number_input(key="sw_y_n").set_value(12).run()
    xs, _ = _cell_sliders(at)
    xs.set_value(13).run()
    _cell_sliders(at)[1].set_value(9).run()
    assert not at.exception
    x = parse_axis("x", "lr=1e-05:1:16:log", "adam")
    y = parse_axis("y", "b1=0:0.9999:12", "adam")
    spec = make_spec("adam", {"lr": x.values[13], "b1": y.values[9]})
    expected = run_one(SURFACES["rosenbrock"], SURFACES["rosenbrock"].start, 500, spec)
    contour = next(f for f in _figs(at) if f["data"][0]["type"] == "contour")
    drawn = xy(path_trace(contour, spec.label()))
    assert drawn[0][-1] == pytest.approx(float(expected.path[-1, 0]), rel=1e-6)
    inspected = path_trace(_heatmaps(at)[0], "inspected")
    assert inspected["x"][0] == pytest.approx(np.log10(x.values[13]))
    # and the link holds that cell
    assert SweepConfig.from_query(query(at))[0].cell_index() == (9, 13)


def test_the_inspected_cell_is_one_value_through_grid_and_axis_changes():
    at = _open()
    at.number_input(key="sw_x_n").set_value(20).run()
    at.number_input(key="sw_y_n").set_value(20).run()
    _cell_sliders(at)[1].set_value(2).run()  # b1 = 0.1053 (the bug showed b1 = 0 beside a path at 0.094)
    for change in (
        lambda: at.number_input(key="sw_y_n").set_value(32),
        lambda: at.number_input(key="sw_x_n").set_value(7),
    ):
        change().run()
        seen = _inspected(at)
        b1 = float(re.search(r"b1=([0-9.e-]+)", seen["label"]).group(1))
        assert seen["y"] == re.search(r"b1=([0-9.e-]+)", seen["label"]).group(1)
        assert seen["marker"][1] == pytest.approx(b1, rel=1e-3)
    # start-coordinate axes: the y slider, the marker and where the path starts agree
    at.selectbox(key="sw_x_key").set_value("x").run()
    at.selectbox(key="sw_y_key").set_value("y").run()
    _cell_sliders(at)[1].set_value(3).run()
    seen = _inspected(at)
    assert (
        float(seen["y"]) == pytest.approx(seen["path_start_y"], rel=1e-3) == pytest.approx(seen["marker"][1], rel=1e-3)
    )
    assert not at.exception


def test_a_comparison_without_the_axis_says_so_and_keeps_the_axes():
    at = _open()
    at.number_input(key="sw_x_n").set_value(8).run()
    at.number_input(key="sw_y_n").set_value(6).run()
    at.text_input(key="sw_opt2").set_value("rmsprop").run()
    assert not at.exception
    assert at.selectbox(key="sw_y_key").value == "b1"  # not silently switched to a start coordinate
    assert any("RMSprop has no b1 (the y axis)" in w for w in shown(at.warning))
    assert len(_heatmaps(at)) == 1


def test_side_by_side_heatmaps_share_one_labelled_colour_scale():
    at = _open()
    at.number_input(key="sw_x_n").set_value(10).run()
    at.number_input(key="sw_y_n").set_value(8).run()
    at.selectbox(key="sw_y_key").set_value("y").run()
    at.text_input(key="sw_opt2").set_value("rmsprop").run()
    a, b = _heatmaps(at)
    assert (a["data"][0]["zmin"], a["data"][0]["zmax"]) == (b["data"][0]["zmin"], b["data"][0]["zmax"])
    assert all("log10(final loss − min f)" in h["data"][0]["colorbar"]["title"]["text"] for h in (a, b))
    at.toggle(key="sw_shared").set_value(False).run()
    a, b = _heatmaps(at)
    assert "zmin" not in a["data"][0] and query(at)["scale"] == ["own"]
    assert [h["layout"]["title"]["text"] for h in (a, b)] == ["Adam", "RMSprop"]


def test_basins_on_a_start_grid():
    at = _open()
    at.selectbox(key="sw_surface").set_value("himmelblau").run()
    at.selectbox(key="sw_x_key").set_value("x").run()
    at.selectbox(key="sw_y_key").set_value("y").run()
    at.number_input(key="sw_x_n").set_value(12).run()
    at.number_input(key="sw_y_n").set_value(12).run()
    at.text_input(key="sw_opt").set_value("adam:lr=0.1").run()
    at.radio(key="sw_metric").set_value("basin").run()
    assert not at.exception and not at.error
    heat = _heatmaps(at)[0]
    legend = [t["name"] for t in heat["data"] if t.get("marker", {}).get("symbol") == "square"]
    assert legend[0].startswith("minimum (") and legend[-2:] == ["no minimum reached", "diverged"]
    assert query(at)["metric"] == ["basin"]


def test_bad_input_is_reported_and_the_view_kept():
    at = _open()
    at.text_input(key="sw_opt").set_value("adam:lr=-1").run()
    assert not at.exception
    assert any(
        "The optimizer 'adam:lr=-1' was not used" in w and "lr must satisfy 0 < lr <= 10" in w
        for w in shown(at.warning)
    )
    assert query(at)["opt"] == ["adam"]
    at.text_input(key="sw_opt").set_value("adam").run()
    at.number_input(key="sw_x_lo").set_value(0.0).run()
    assert any("a log axis needs LO > 0" in w for w in shown(at.warning))
    assert query(at)["x"] == ["lr=1e-05:1:48:log"]


def test_every_change_is_in_the_link_and_the_link_reopens_the_view():
    at = _open()
    at.number_input(key="sw_x_n").set_value(9).run()
    at.number_input(key="sw_y_n").set_value(7).run()
    at.selectbox(key="sw_surface").set_value("beale").run()
    at.slider(key="sw_steps").set_value(300).run()
    at.text_input(key="sw_opt2").set_value("amsgrad:lr=0.01").run()
    at.radio(key="sw_metric").set_value("steps").run()
    _cell_sliders(at)[0].set_value(6).run()
    q = query(at)
    cfg, warnings = SweepConfig.from_query(q)
    assert warnings == [] and cfg.surface == "beale" and cfg.steps == 300 and cfg.x.n == 9 and cfg.metric == "steps"
    assert cfg.opt2.name == "amsgrad" and cfg.cell_index()[1] == 6
    opened = open_link(q)  # a new session opening that link
    assert _cell_sliders(opened)[0].value == 6 and opened.slider(key="sw_steps").value == 300
    assert _heatmaps(opened) and json.dumps(_heatmaps(opened)[1]["data"][0]["z"]) == json.dumps(
        _heatmaps(at)[1]["data"][0]["z"]
    )


def open_link(params):
    """A fresh session that opens a Sweep link."""
    from tests.apptools import open_link_on

    return open_link_on(SWEEP, params)


def test_exports_hold_the_grid_and_its_link(sweep_app):
    from urllib.parse import parse_qs

    from optviz.app.sweep.page import SWEEPS

    at = sweep_app
    cfg, _ = SweepConfig.from_query(query(at))
    assert [b.label for b in at.get("download_button")] == ["Grid metrics (CSV)", "Configuration and metrics (JSON)"]
    result = SWEEPS.get((cfg.surface, cfg.opt, cfg.x, cfg.y, cfg.start, cfg.steps, cfg.tol))
    rows = list(csv.DictReader(io.StringIO(download(at, "Grid metrics (CSV)"))))  # what a click delivers
    assert len(rows) == 16 * 12 and float(rows[13]["lr"]) == cfg.x.values[13]
    assert float(rows[13]["final_loss"]) == float(result.final_loss[0, 13])
    data = json.loads(download(at, "Configuration and metrics (JSON)"))
    assert SweepConfig.from_query(parse_qs(data["query"])) == (cfg, [])


def test_a_start_grid_is_drawn_to_scale_with_a_basin_legend_and_opens_on_the_default_cell():
    from tests.apptools import open_link_on

    at = open_link_on(
        SWEEP,
        {
            "surface": "himmelblau",
            "opt": "adam:lr=0.1",
            "x": "x=-5:5:16",
            "y": "y=-5:5:12",
            "steps": "300",
            "metric": "basin",
            "start": "1,-2",
        },
    )
    assert not at.exception and not at.warning
    heat = _heatmaps(at)[0]
    assert heat["layout"]["yaxis"]["scaleanchor"] == "x"  # a square domain is a square
    legend = [t["name"] for t in heat["data"] if t.get("marker", {}).get("symbol") == "square"]
    assert legend[-2:] == ["no minimum reached", "diverged"] and len(legend) == 2 + len(SURFACES["himmelblau"].minima)
    assert heat["data"][0]["showscale"] is False
    # the inspected cell is the default one (the start the link gives), not the grid's centre
    default = path_trace(heat, "default")
    assert (default["x"][0], default["y"][0]) == (
        path_trace(heat, "inspected")["x"][0],
        path_trace(heat, "inspected")["y"][0],
    )
    cfg, _ = SweepConfig.from_query(query(at))
    assert cfg.cell_index() == cfg.default_cell() != (cfg.y.n // 2, cfg.x.n // 2)


def test_a_rule_typed_on_the_sweep_page_is_swept_and_a_bad_one_is_named():
    from tests.apptools import make_app, query

    at = make_app()
    at.run()
    at.switch_page("optviz/app/scripts/sweep.py").run()
    rule = "signed: m = b1*m + (1 - b1)*g; p = p - lr*sign(m) | lr=0.01, b1=0.9"
    at.text_area(key="sw_rules").set_value(rule).run()
    at.text_input(key="sw_opt").set_value("signed").run()
    assert not at.exception and not at.warning
    q = query(at)
    assert q["rule"] == [rule] and q["opt"] == ["signed"] and q["x"][0].startswith("lr=")
    at.text_area(key="sw_rules").set_value("signed: p = p.__class__ | lr=1").run()
    assert not at.exception and any("Attribute" in w.value for w in at.warning)

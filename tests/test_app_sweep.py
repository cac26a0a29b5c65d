"""The Sweep page under AppTest: heatmaps, metrics, comparison, and the inspect-a-cell flow."""

from __future__ import annotations

import json

import numpy as np
import pytest

from apptools import open_page, path_trace, shown, xy

SWEEP = "optviz/ui/pages/sweep.py"


def _open():
    return open_page(SWEEP)


def _figs(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def sweep_app():
    at = _open()
    at.number_input(key="sw_x_n").set_value(16).run()
    at.number_input(key="sw_y_n").set_value(12).run()
    return at


def test_default_sweep_renders_a_heatmap(sweep_app):
    at = sweep_app
    assert not at.exception and not at.error
    heat = [f for f in _figs(at) if f["data"][0]["type"] == "heatmap"]
    assert len(heat) == 1
    names = [t.get("name") for t in heat[0]["data"]]
    assert "default" in names and "best" in names and "cells" in names
    assert any("192 runs × 500 steps" in c.value for c in at.caption)


def test_inspect_a_cell_shows_that_run(sweep_app):
    from optviz.spec import make_spec, parse_axis
    from optviz.surfaces import SURFACES
    from optviz.trajectory import run_race

    at = sweep_app
    at.select_slider(key="sw_cell_col").set_value(13).run()
    at.select_slider(key="sw_cell_row").set_value(9).run()
    assert not at.exception
    x = parse_axis("--x", "lr=1e-05:1:16:log", "adam")
    y = parse_axis("--y", "b1=0:0.9999:12", "adam")
    spec = make_spec("adam", {"lr": x.values[13], "b1": y.values[9]})
    expected = run_race(SURFACES["rosenbrock"], SURFACES["rosenbrock"].start, 500, [spec])[0]
    contour = next(f for f in _figs(at) if f["data"][0]["type"] == "contour")
    drawn = xy(path_trace(contour, spec.label()))
    assert drawn[0][-1] == pytest.approx(float(expected.path[-1, 0]), rel=1e-6)
    heat = next(f for f in _figs(at) if f["data"][0]["type"] == "heatmap")
    inspected = path_trace(heat, "inspected")
    assert inspected["x"][0] == pytest.approx(np.log10(x.values[13]))


def test_metrics_and_comparison():
    at = _open()
    at.number_input(key="sw_x_n").set_value(10).run()
    at.number_input(key="sw_y_n").set_value(8).run()
    at.text_input(key="sw_opt2").set_value("momentum:lr=0.002").run()
    # Adam and momentum share only lr among their hyperparameters: the other axis is a start coordinate.
    assert at.selectbox(key="sw_y_key").options == ["lr", "x", "y"]
    at.selectbox(key="sw_y_key").set_value("y").run()
    assert not at.exception
    heat = [f for f in _figs(at) if f["data"][0]["type"] == "heatmap"]
    assert [h["layout"]["title"]["text"] for h in heat] == ["Adam", "SGD + momentum (lr=0.002)"]
    at.radio(key="sw_metric").set_value("diverged").run()
    assert not at.exception


def test_basins_on_a_start_grid():
    at = _open()
    at.selectbox(key="sw_surface").set_value("himmelblau").run()
    at.selectbox(key="sw_x_key").set_value("x").run()
    at.selectbox(key="sw_y_key").set_value("y").run()
    at.number_input(key="sw_x_n").set_value(12).run()
    at.number_input(key="sw_y_n").set_value(12).run()
    at.text_input(key="sw_opt").set_value("adam:lr=0.1").run()
    at.radio(key="sw_metric").set_value("which minimum (basins of attraction)").run()
    assert not at.exception and not at.error
    heat = next(f for f in _figs(at) if f["data"][0]["type"] == "heatmap")
    assert heat["data"][0]["colorbar"]["ticktext"][0] == "none"


def test_bad_input_is_reported_not_raised():
    at = _open()
    at.text_input(key="sw_opt").set_value("adam:lr=-1").run()
    assert not at.exception
    assert any("The optimizer 'adam:lr=-1' was not used" in w and "lr must satisfy 0 < lr <= 10" in w
               for w in shown(at.warning))
    at.text_input(key="sw_opt").set_value("adam").run()
    at.number_input(key="sw_x_lo_lr").set_value(0.0).run()
    assert any("a log axis needs LO > 0" in e.value for e in at.error)

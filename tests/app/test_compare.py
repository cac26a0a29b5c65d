"""The Compare page under AppTest: a link opens a tuned comparison and a range test; controls flow into the link."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from tests.apptools import open_link_on, query

pytestmark = pytest.mark.app

COMPARE = "optviz/app/scripts/compare.py"
LINK = {"opt": ["adam", "sgd:lr=0.05"], "surfaces": "bowl,booth", "starts": "1", "budget": "4", "steps": "200"}


def _figs(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def test_a_link_opens_the_profile_table_and_range_test():
    at = open_link_on(COMPARE, LINK, timeout=300)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    figs = _figs(at)
    profile = next(f for f in figs if "ρ(τ)" in str(f["layout"]))
    assert [t["name"] for t in profile["data"]] == ["Adam", "SGD"]  # as every page names them; lr is tuned
    assert all(t["line"]["shape"] == "hv" for t in profile["data"])
    assert any("range test: smoothed loss" in str(f["data"]) for f in figs)
    table = at.markdown[0].value
    assert "| Adam |" in table and "| SGD |" in table and "wins" in table
    assert any("suggests lr" in m.value for m in at.markdown)
    assert query(at)["opt"] == ["adam", "sgd:lr=0.05"] and query(at)["budget"] == ["4"]


def test_controls_write_the_link_and_bad_lines_are_named():
    at = open_link_on(COMPARE, LINK, timeout=300)
    at.text_area(key="cp_opts").set_value("adam\nmuon\nmomentum:lr=0.003").run()
    assert not at.exception
    assert any("muon" in w.value and "not offered" in w.value for w in at.warning)
    assert query(at)["opt"] == ["adam", "momentum:lr=0.003"]
    at.selectbox(key="cp_lr_on").set_value("booth").run()
    assert query(at)["lr_on"] == ["booth"]


def test_the_range_test_runs_on_mnist_too():
    at = open_link_on(COMPARE, {**LINK, "lr_on": "mnist-logreg", "lr_opt": "sgd"}, timeout=300)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    figs = _figs(at)
    rng = next(f for f in figs if "range test: smoothed loss" in str(f["data"]))
    x = rng["data"][1]["x"]
    x = np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"]) if isinstance(x, dict) else np.asarray(x)
    assert len(x) >= 3 and np.all(np.diff(x) > 0)  # the truth: constant-lr runs that did not diverge
    assert any("suggests lr" in m.value for m in at.markdown)


def test_a_link_at_the_bounds_reaches_the_controls():
    """The controls allow what the link allows: a link at its bounds is shown as it is."""
    at = open_link_on(
        COMPARE, {"opt": ["sgd"], "surfaces": "bowl", "starts": "16", "budget": "64", "steps": "1"}, timeout=300
    )
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert (
        at.number_input(key="cp_starts").value,
        at.number_input(key="cp_budget").value,
        at.slider(key="cp_steps").value,
    ) == (16, 64, 1)
    assert query(at)["steps"] == ["1"] and query(at)["budget"] == ["64"]

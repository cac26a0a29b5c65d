"""Schedules, clipping and stability on the Surfaces page (AppTest)."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.spec import parse_spec
from tests.apptools import charts, make_app, query, shown, xy

pytestmark = pytest.mark.app


def test_a_scheduled_link_draws_its_lr_and_keeps_it():
    link = ["adam:lr=0.05,schedule=cosine,warmup=20,min_lr=0.001", "momentum:lr=0.002,clip=1"]
    at = make_app(surface="rosenbrock", steps="300", opt=link)
    at.run()
    assert not at.exception
    figs = charts(at)
    strip = figs["lr_strip"]
    steps, lrs = xy(next(t for t in strip["data"] if t["name"].startswith("Adam")))
    run = parse_spec(link[0])
    assert steps[:3] == [0, 1, 2] and np.allclose(lrs[:3], [0.05 / 20, 0.1 / 20, 0.15 / 20], rtol=1e-5)
    assert lrs[-1] < 0.01 and max(lrs) == np.float32(0.05) and run.scheduled
    assert query(at)["opt"] == link  # the link keeps the schedule and the clipping
    stability = figs["stability"]
    dashes = {(t["name"].split(" ")[0], t["line"]["dash"]) for t in stability["data"]}
    assert ("Adam", "dot") in dashes and ("Adam", "dash") in dashes and ("SGD", "solid") in dashes


def test_choosing_a_schedule_writes_it_into_the_link():
    at = make_app(surface="bowl", steps="100", opt=["sgd:lr=0.1"])
    at.run()
    assert "lr_strip" not in charts(at)  # no schedule: no strip
    assert not at.get("selectbox") or all(s.key != "r0_c_schedule" for s in at.selectbox)  # behind its toggle
    at.toggle(key="r0_sched_open").set_value(True).run()
    at.selectbox(key="r0_c_schedule").set_value(3).run()  # step
    at.number_input(key="r0_c_step_size").set_value(25).run()
    assert query(at)["opt"] == ["sgd:lr=0.1,schedule=step,step_size=25"]
    assert "lr_strip" in charts(at)
    at.toggle(key="r0_sched_open").set_value(False).run()  # off: a constant lr again
    assert query(at)["opt"] == ["sgd:lr=0.1"] and "lr_strip" not in charts(at)


def test_a_warmup_longer_than_the_run_is_shortened_with_a_warning():
    at = make_app(surface="bowl", steps="50", opt=["sgd:lr=0.1,warmup=10"])
    at.run()
    assert at.toggle(key="r0_sched_open").value  # a link with a schedule opens its controls
    at.number_input(key="r0_c_warmup").set_value(80).run()
    assert any("warmup must be fewer than the run's 50 steps; using warmup=49" in w for w in shown(at.warning))
    assert parse_spec(query(at)["opt"][0]).common["warmup"] == 49
    assert not at.exception


def test_bad_schedule_links_warn_and_the_page_works():
    at = make_app(surface="bowl", opt=["adam:schedule=onecycle,warmup=5", "sgd:schedule=soon"])
    at.run()
    assert not at.exception
    texts = " ".join(shown(at.warning))
    assert "onecycle has its own warmup" in texts and "schedule must be one of" in texts
    assert "surface3d" in charts(at)


def test_schedule_free_shows_its_gradient_points_beside_its_path():
    at = make_app(surface="booth", steps="40", opt=["sfadamw:lr=0.05", "adam:lr=0.05"])
    at.run()
    contour = charts(at)["contour"]
    names = [t.get("name") for t in contour["data"]]
    dotted = next(t for t in contour["data"] if str(t.get("name", "")).endswith("y, where gradients are taken"))
    assert dotted["line"]["dash"] == "dot" and len(xy(dotted)[0]) == 40
    assert sum(str(n).endswith("where gradients are taken") for n in names) == 1  # Adam has none

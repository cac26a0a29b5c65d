"""The app as a hosted platform runs it: plain `streamlit run app.py` with Streamlit Community
Cloud's forced settings and nothing compiled on disk (a container woken from sleep)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.paths import ROOT

sys.path.insert(0, os.path.join(ROOT, "benchmarks"))  # the protocol-level client

from bench_hosted import hosted_server  # the forced settings, an empty compilation cache
from protocol import Session

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    with hosted_server("app.py", str(tmp_path_factory.mktemp("jax-cache"))) as server:
        yield server


def test_a_cold_hosted_server_draws_the_default_view_then_every_page(hosted):
    async def visit():
        s = Session(hosted.base, "")
        await s.connect()
        await s.rerun()
        default = dict(s.elements)
        for page in ("sweep", "mnist", "compare", "learn"):
            await s.rerun_page(page)
        await s.close()
        return s.exceptions, default

    errors, default = asyncio.run(visit())
    assert errors == []
    assert {"r0_adam_lr", "r1_sgd_lr", "r2_adagrad_lr"} <= default.keys()


def test_a_link_to_another_view_waits_for_the_warm_up_and_then_draws(hosted):
    async def visit():
        s = Session(hosted.base, "surface=rosenbrock&opt=adam:lr=0.02&opt=nesterov:lr=0.001&steps=300")
        await s.connect()
        await s.rerun()
        first = dict(s.elements)
        await s.set_number("r0_adam_lr", 0.05)  # a control, live once its program is ready
        await s.rerun()
        await s.close()
        return s.exceptions, first, s.elements, s.query

    errors, first, after, query = asyncio.run(visit())
    assert errors == []
    assert first["r0_adam_lr"].value == pytest.approx(0.02) and "r1_nesterov_lr" in first
    assert after["r0_adam_lr"].value == pytest.approx(0.05) and "adam%3Alr%3D0.05" in query


def test_a_first_visit_sends_the_3d_and_top_views_after_the_charts_below_them(hosted):
    async def visit():
        s = Session(hosted.base, "")
        await s.connect()
        await s.rerun()
        await s.close()
        return s.exceptions, s.sent

    errors, sent = asyncio.run(visit())
    assert errors == []
    charts = [key for key in sent if key in {"surface3d", "contour", "curves", "curves_distance", "stability"}]
    assert charts[-2:] == ["surface3d", "contour"] and len(charts) == 5

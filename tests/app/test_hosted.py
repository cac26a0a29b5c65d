"""The app as a hosted platform runs it: plain `streamlit run app.py` with Streamlit Community
Cloud's forced settings and nothing compiled on disk (a container woken from sleep)."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from tests.browser import launch, need_browser
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


@pytest.mark.browser
def test_the_warm_up_starts_once_the_browser_has_drawn_the_first_page(tmp_path):
    """A woken server compiles after its first visitor's browser has drawn the page (the share box
    says so), not while the browser draws: on one machine, the compile slowed the drawing."""
    need_browser()
    from bench_first_visit import IDLE
    from playwright.sync_api import sync_playwright

    log = tmp_path / "server.log"
    (tmp_path / "jax-cache").mkdir()
    with hosted_server("app.py", str(tmp_path / "jax-cache"), log=str(log)) as server, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(COUNT_BYTES_RECEIVED)
        page.goto(server.base + "/")
        page.wait_for_function(IDLE % 5, timeout=120_000, polling=50)
        drawn = page.evaluate("() => window.bytesReceived")
        assert "compiling in the background now" not in log.read_text()  # not while the page was drawn
        deadline = time.monotonic() + 15  # well before the deferral (20 s after the first page) ends it anyway
        while "compiling in the background now" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the report's rerun, answered
        after = page.evaluate("() => window.bytesReceived") - drawn
        browser.close()
    assert "optviz: compiling in the background now: a browser has drawn a page" in log.read_text()
    assert 0 < after < 20_000 < drawn  # the report reran the share box alone, not the page with its charts


COUNT_BYTES_RECEIVED = """
window.bytesReceived = 0;
const Socket = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Socket(...args);
  ws.addEventListener("message", (e) => { window.bytesReceived += e.data.byteLength || e.data.size || e.data.length; });
  return ws;
};
window.WebSocket.prototype = Socket.prototype;
Object.assign(window.WebSocket, Socket);
"""

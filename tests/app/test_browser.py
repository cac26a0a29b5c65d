"""The real browser: `streamlit run app.py` on loopback, driven by Playwright in Debian's Chromium.

Opens a share link, waits for the 3D chart, nudges a learning-rate slider with the keyboard,
checks that the drawn path and the address bar change, and saves a screenshot. In CI (where
.ci/run installs chromium) a missing browser is a failure; elsewhere the test is skipped.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from tests.browser import launch, need_browser
from tests.paths import ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
LINK = "/?surface=himmelblau&start=-0.3,-0.9&steps=200&opt=adam:lr=0.05&opt=momentum:lr=0.002"
PATHS_JS = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    if (el.data && el.data[0] && el.data[0].type === 'contour') {
      const t = (el._fullData || []).find(d => d.name && d.name.startsWith('Adam'));
      return t ? {name: t.name, x: Array.from(t.x), y: Array.from(t.y)} : null;
    }
  }
  return null;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    need_browser()
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            os.path.join(ROOT, "app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(base + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_share_link_slider_nudge_redraws(server):
    from playwright.sync_api import sync_playwright

    os.makedirs(ARTIFACTS, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(server + LINK)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".some(e => e.data && e.data[0] && e.data[0].type === 'surface')",
            timeout=90_000,
        )
        page.wait_for_function(f"({PATHS_JS})() !== null", timeout=30_000)
        before = page.evaluate(PATHS_JS)
        assert before["name"] == "Adam (lr=0.05)" and len(before["x"]) == 201
        opts = "() => new URLSearchParams(location.search).getAll('opt')"
        assert page.evaluate(opts) == ["adam:lr=0.05", "momentum:lr=0.002"]

        lr = page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="lr"]').first
        lr.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"() => {{ const p = ({PATHS_JS})(); return p && p.name !== {before['name']!r}; }}", timeout=30_000
        )
        after = page.evaluate(PATHS_JS)
        assert after["x"] != before["x"]
        assert after["name"].startswith("Adam (lr=0.0")
        new_lr = after["name"][len("Adam (lr=") : -1]
        page.wait_for_function(f"() => ({opts})()[0] === 'adam:lr={new_lr}'", timeout=10_000)
        time.sleep(1.5)  # let WebGL finish painting before the picture
        shot = os.path.join(ARTIFACTS, "surfaces.png")
        page.screenshot(path=shot)
        assert os.path.getsize(shot) > 50_000
        if os.environ.get("OPTVIZ_SCREENSHOT"):
            shutil.copy(shot, os.environ["OPTVIZ_SCREENSHOT"])
        browser.close()


HEATMAP_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .some(e => e._fullData && e._fullData[0] && e._fullData[0].type === 'heatmap')"""
INSPECTED_JS = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    const d = el._fullData;
    if (d && d[0] && d[0].type === 'contour') {
      const t = d.find(tr => tr.type === 'scatter' && tr.mode === 'lines+markers' && tr.name !== 'start');
      return t ? t.name : null;
    }
  }
  return null;
}"""


def test_sweep_page_click_a_cell(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(server + "/sweep")
        page.wait_for_function(HEATMAP_JS, timeout=90_000)
        page.wait_for_function(f"({INSPECTED_JS})() !== null", timeout=30_000)
        before = page.evaluate(INSPECTED_JS)
        heat = page.locator(".js-plotly-plot").first
        box = heat.bounding_box()
        # the upper right of the plot area: large lr, large b1, far from the middle cell inspected first
        page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
        page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
        page.wait_for_function(f"(v => v !== null && v !== {before!r})(({INSPECTED_JS})())", timeout=30_000)
        after = page.evaluate(INSPECTED_JS)
        assert after.startswith("Adam (lr=") and after != before
        page.screenshot(path=os.path.join(ARTIFACTS, "sweep.png"))
        browser.close()


def test_hostile_link_warns_and_the_page_works(server):
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    link = (
        "/?surface=custom&expr="
        + quote("__import__('os').system('touch /tmp/optviz_pwned')")
        + "&steps=99999&opt="
        + quote("adam:lr=-1")
        + "&opt=sgd:lr=0.05&start=nan,1"
    )
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(server + link)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".some(e => e._fullData && e._fullData[0] && e._fullData[0].type === 'surface')",
            timeout=90_000,
        )
        alerts = page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()
        text = " ".join(alerts)
        assert "is not allowed at position 12" in text and "nearest allowed value, 5000" in text
        assert "adam: lr must satisfy" in text and "'nan' is not a finite number" in text
        assert page.evaluate("() => new URLSearchParams(location.search).get('surface')") == "bowl"
        browser.close()
    assert not os.path.exists("/tmp/optviz_pwned")


PLAYBACK_JS = (
    "() => Array.from(document.querySelectorAll('.js-plotly-plot')).find(e => e.layout && e.layout.updatemenus)"
)


def test_playback_frames_keep_the_surface(server):
    """Pressing Play used to wipe the surface, leaving paths on white."""
    import io

    import numpy as np
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(server + "/?surface=himmelblau&steps=200&opt=adam:lr=0.05")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=90_000)
        page.get_by_text("playback", exact=True).click()
        page.wait_for_function(f"() => !!({PLAYBACK_JS})()", timeout=30_000)
        chart = page.locator(".js-plotly-plot").filter(has=page.locator(".updatemenu-container")).first
        chart.scroll_into_view_if_needed()
        page.get_by_text("Play", exact=True).click()
        # wait until the last frame is shown: the path has all its points
        page.wait_for_function(
            f"() => ({PLAYBACK_JS})()._fullData.some(t => t.name && t.name.startsWith('Adam') && t.x.length === 201)",
            timeout=30_000,
        )
        time.sleep(0.5)
        shot = np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("RGB"), np.float64)
        h, w, _ = shot.shape
        middle = shot[int(0.3 * h) : int(0.6 * h), int(0.4 * w) : int(0.6 * w)]  # inside the surface's square
        assert middle.mean() < 230, "the surface is gone: the plot area is white"
        assert chart.locator("image").count() >= 1  # the surface is a layout image, which no frame touches
        browser.close()


CELLS_JS = """() => { const h = Array.from(document.querySelectorAll('.js-plotly-plot'))
  .find(e => e._fullData && e._fullData[0] && e._fullData[0].type === 'heatmap');
  return h ? h._fullData[0].z.length + ':' + h._fullData[0].z[0].length : null; }"""


def _heatmap_ready(page, cells: str | None = None) -> None:
    """Wait for the heatmap (with ``cells`` rows:columns, when given)."""
    page.wait_for_function(HEATMAP_JS, timeout=120_000)
    if cells:
        page.wait_for_function(f"() => ({CELLS_JS})() === {cells!r}", timeout=120_000)


def _script_idle(page) -> None:
    """Wait until the app's script is not running (Streamlit's "Running..." indicator is gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(0.5)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def _number_box(page, label: str):
    return page.locator(f'[data-testid="stSidebar"] [data-testid="stNumberInput"]:has-text("{label}") input').first


def test_sweep_view_travels_in_its_link(server):
    """Change a control, take the address bar, open it in a new browser context: the same view."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(server + "/sweep")
        _heatmap_ready(page)
        steps = page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="steps"]')
        _script_idle(page)  # the first run has finished (and written its view into the address bar)
        assert page.evaluate("() => new URLSearchParams(location.search).get('x')") == "lr=1e-05:1:48:log"
        box = _number_box(page, "cells")  # the x axis comes first
        box.fill("12")
        box.press("Enter")
        try:
            page.wait_for_function(
                "() => new URLSearchParams(location.search).get('x') === 'lr=1e-05:1:12:log'", timeout=120_000
            )
        except Exception as err:  # say what the page showed instead
            raise AssertionError(
                f"the link did not follow: box={box.input_value()!r} search={page.evaluate('() => location.search')!r}"
            ) from err
        _heatmap_ready(page, "48:12")
        url = page.url
        other = browser.new_context(viewport={"width": 1500, "height": 1200}).new_page()
        other.goto(url)
        _heatmap_ready(other, "48:12")
        assert other.evaluate("() => location.search") == page.evaluate("() => location.search")
        assert steps.count() == 1
        browser.close()


def test_mnist_view_travels_and_stop_keeps_every_finished_epoch(server):
    from playwright.sync_api import sync_playwright

    link = "/mnist?model=cnn&opt=adam&opt=sgd&epochs=3&batch=60&train=12000&test=500"  # SGD epochs of ~1 s
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        page.goto(server + link)
        page.get_by_role("button", name="Train").wait_for(timeout=90_000)
        page.get_by_role("button", name="Train").click()
        # Stop while SGD trains its second epoch (its first has finished; training reports every
        # 50 batches, so the bar says so for most of the epoch, not for a moment)
        page.get_by_text(re.compile(r"SGD: epoch 2 of 3")).wait_for(timeout=180_000)
        page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
        note = page.get_by_text("Training was stopped")
        note.wait_for(timeout=60_000)
        text = note.inner_text()  # (the results table is drawn on a canvas: its note says the same)
        assert "Adam (lr=0.001): 3 of 3 epochs" in text  # Adam finished
        assert re.search(r"SGD \(lr=0.01\): [12] of 3 epochs", text)  # SGD's finished epochs are kept
        assert "Press Train" not in page.content()
        curves = (
            "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(e => (e._fullData || [])"
            ".map(t => t.name)).find(n => n.includes('SGD (lr=0.01)'))"
        )
        assert {"Adam (lr=0.001)", "SGD (lr=0.01)"} <= set(page.evaluate(curves))
        # the view is in the link: a new context opens the same race settings
        other = browser.new_context(viewport={"width": 1500, "height": 1400}).new_page()
        other.goto(page.url)
        other.get_by_role("button", name="Train").wait_for(timeout=90_000)
        assert other.evaluate("() => location.search") == page.evaluate("() => location.search")
        # the box's value, once the first run has drawn it (a fresh-clone CI run once read it empty
        # right after the Train button appeared)
        box = "() => document.querySelector('[data-testid=\"stTextArea\"] textarea')?.value"
        try:
            other.wait_for_function(f"() => ({box})() === 'adam\\nsgd'", timeout=30_000)
        except Exception as err:
            raise AssertionError(f"the optimizers box shows {other.evaluate(box)!r}, not 'adam\\nsgd'") from err
        browser.close()


BOXES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(e => {
  const r = e.getBoundingClientRect(), m = e.querySelector('.modebar'), l = e.querySelector('.legend');
  const box = x => { if (!x) return null; const b = x.getBoundingClientRect();
                     return [b.left, b.top, b.right, b.bottom]; };
  return {type: e._fullData && e._fullData[0] ? e._fullData[0].type : null, box: [r.left, r.top, r.right, r.bottom],
          modebar: box(m), legend: box(l)};
})"""


def _overlap(a, b) -> float:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def test_surfaces_on_a_phone(server):
    """390x844: the charts stacked, none overlapping, the 3D chart in the first screen with the
    sidebar closed, legends clear of the toolbar, the table as wide as the screen, racer 1's lr at hand."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(server + "/?surface=himmelblau&steps=200&opt=adam:lr=0.05&opt=momentum:lr=0.002&opt=rmsprop")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=90_000)
        time.sleep(2)
        sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0  # the drawer is closed
        charts = page.evaluate(BOXES_JS)
        for i, a in enumerate(charts):
            assert a["box"][2] - a["box"][0] <= 390
            for b in charts[i + 1 :]:
                assert _overlap(a["box"], b["box"]) == 0, (a, b)
            if a["legend"] and a["modebar"]:
                assert _overlap(a["legend"], a["modebar"]) == 0, a
        surface = next(c for c in charts if c["type"] == "surface")
        assert surface["box"][1] < 844 - 300  # most of the 3D chart on the first screen
        lr = page.locator('[data-testid="stMain"] input[type="range"][aria-label="its learning rate"]')
        assert lr.count() == 1 and lr.bounding_box()["y"] < surface["box"][1]
        table = page.locator('[data-testid="stMarkdownContainer"]:has(table)').first
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")  # no sideways scrolling
        browser.close()


def test_compare_opens_from_a_link_and_draws_the_profile(server):
    from playwright.sync_api import sync_playwright

    link = "/compare?opt=adam&opt=momentum&surfaces=bowl,booth&starts=1&budget=4&steps=200"
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + link)
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(e =>
            e._fullData && e._fullData.length === 2 && e._fullData[0].line && e._fullData[0].line.shape === 'hv')""",
            timeout=180_000,
        )
        names = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find(e => e._fullData && e._fullData[0].line && e._fullData[0].line.shape === 'hv')
            ._fullData.map(t => t.name)""")
        assert names == ["Adam", "SGD + momentum"]  # display names, as on every other page
        assert "budget=4" in page.url and "opt=momentum" in page.url
        browser.close()


LINK_BOX = ".st-key-share_link"  # the share box: a component in the page (its own shadow root, if any)
# The printed link's element, found in the share box through any shadow root.
PRINTED_LINK_JS = f"""() => {{
  const find = r => r.querySelector('#l') ||
    Array.from(r.querySelectorAll('*')).map(e => e.shadowRoot && find(e.shadowRoot)).find(Boolean);
  const host = document.querySelector('{LINK_BOX}');
  return host && find(host);
}}"""
# What a visitor sees, read off the page: every chart's traces (their names, colours and points;
# not the surfaces' grids), every input's value, every table's text.
VIEW_JS = """() => {
  const arr = v => v ? Array.from(v).map(n => typeof n === 'number' ? Math.round(n * 1e6) / 1e6 : n) : null;
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot')).map(e => (e._fullData || [])
    .filter(t => t.type !== 'surface' && t.type !== 'contour' && t.type !== 'heatmap')
    .map(t => ({type: t.type, name: t.name, color: t.line ? t.line.color : null, x: arr(t.x), y: arr(t.y)})));
  const inputs = Array.from(document.querySelectorAll('input')).filter(i => i.getAttribute('aria-label'))
    .map(i => [i.getAttribute('aria-label'), i.type === 'checkbox' ? i.checked : i.value]);
  const tables = Array.from(document.querySelectorAll('[data-testid="stMarkdownContainer"] table'))
    .map(t => t.innerText);
  return {plots, inputs, tables};
}"""


def _printed_link(page) -> str:
    return page.locator(f"{LINK_BOX} #l").inner_text()  # (Playwright's CSS goes through open shadow roots)


def _nudge(page, label: str, presses: int = 1) -> None:
    slider = page.locator(f'input[type="range"][aria-label="{label}"]').first
    slider.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")


def _settled(page) -> None:
    """The script is idle and the printed link has caught up with the address bar."""
    _script_idle(page)
    page.wait_for_function(
        f"() => {{ const l = ({PRINTED_LINK_JS})(); return l && l.textContent === window.location.href; }}",
        timeout=30_000,
    )


def test_the_printed_link_is_the_view_after_every_fragment_control(server):
    """Change the race and every control that reruns only its own part of the page; the printed
    link is the address bar, and a fresh browser that opens it sees the same charts, colours,
    controls and table."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(server + "/?surface=himmelblau&steps=120&opt=adam:lr=0.05&opt=sgd:lr=0.01&opt=adagrad:lr=0.7")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=90_000)
        _settled(page)
        page.get_by_role("button", name="Add an optimizer").click()
        _settled(page)
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Remove").nth(1).click()  # SGD
        _settled(page)
        for toggle in ("gradient arrows", "log-scaled heights"):  # Himmelblau is drawn log-scaled: now off
            page.get_by_text(toggle, exact=True).click()
            _settled(page)
        _nudge(page, "tolerance")
        _settled(page)
        page.get_by_text("Show an optimizer's state per step", exact=False).click()
        _settled(page)
        _nudge(page, "after step", 3)
        _settled(page)
        page.get_by_text("playback", exact=True).click()
        _settled(page)
        _nudge(page, "playback from step", 5)
        _settled(page)
        link = _printed_link(page)
        assert link == page.url
        for item in (
            "arrows=1",
            "log=0",
            "tol=0.0001",
            "inside=1",
            "inside_step=13",
            "playback=1",
            "frame=5",
            "colors=1%2C3%2C4",
        ):
            assert item in link, (item, link)
        seen = page.evaluate(VIEW_JS)
        other = browser.new_context(viewport={"width": 1500, "height": 1200}).new_page()
        other.goto(link)
        other.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=90_000)
        _settled(other)
        again = other.evaluate(VIEW_JS)
        assert again["tables"] == seen["tables"]
        assert again["inputs"] == seen["inputs"]
        assert len(again["plots"]) == len(seen["plots"])
        for mine, theirs in zip(seen["plots"], again["plots"]):
            assert theirs == mine
        browser.close()


def test_an_unknown_page_says_so_and_shows_the_main_page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/nope")
        alert = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="There is no page /nope")
        alert.wait_for(timeout=90_000)
        assert "The pages are: Surfaces, Sweep, MNIST, Compare, Learn" in alert.inner_text()
        browser.close()


def test_a_learning_rate_typed_below_its_range_is_fitted_and_said(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/?opt=adam:lr=0.05")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=90_000)
        _settled(page)
        box = page.locator('[data-testid="stSidebar"] input[aria-label="lr (exact)"]').first
        box.fill("-1")
        box.press("Enter")
        page.wait_for_function(
            "() => new URLSearchParams(location.search).getAll('opt')[0] === 'adam:lr=1e-05'", timeout=30_000
        )
        try:  # the box shows the fitted value once the run that fitted it has reached the browser
            page.wait_for_function(
                """() => parseFloat(document.querySelector('[data-testid="stSidebar"] '
                                   + 'input[aria-label="lr (exact)"]').value) === 1e-5""",
                timeout=30_000,
            )
        except Exception as err:
            raise AssertionError(f"the box shows {box.input_value()!r}, not the fitted 1e-05") from err
        warning = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="Adam's lr was not used")
        assert "using the nearest allowed value, 1e-05" in warning.inner_text()
        browser.close()


# Each legend against what it must not cover, in the same chart.
LEGEND_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(e => {
  const box = x => { const b = x.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const all = s => Array.from(e.querySelectorAll(s)).map(box).filter(b => b[2] > b[0] && b[3] > b[1]);
  const legend = all('.legend .bg');
  const others = {title: all('[class*="xtitle"]'), ticks: all('[class*="xtick"] text'),
                  slider: all('.slider-container'), buttons: all('.updatemenu-container')};
  return legend.map(l => ({legend: l, chart: box(e), others}));
})"""


def _legend_overlaps(page) -> list:
    problems = []
    for item in page.evaluate(LEGEND_JS):
        lg, chart = item["legend"], item["chart"]
        if not (lg[0] >= chart[0] - 1 and lg[2] <= chart[2] + 1 and lg[1] >= chart[1] - 1 and lg[3] <= chart[3] + 1):
            problems.append(("outside its chart", lg, chart))
        for kind, boxes in item["others"].items():
            problems += [(kind, lg, b) for b in boxes if _overlap(lg, b) > 0]
    return problems


@pytest.mark.parametrize("width", [1400, 390])
def test_no_legend_covers_an_axis_a_slider_or_a_button(server, width):
    from playwright.sync_api import sync_playwright

    links = [
        "/?surface=himmelblau&steps=200&opt=adam:lr=0.05,warmup=20&opt=momentum:lr=0.002&opt=rmsprop&playback=1",
        "/?surface=himmelblau&steps=200&opt=adam:lr=0.05,warmup=20&opt=sgd:lr=0.01&opt=rmsprop",
        "/?surface=himmelblau&steps=200&opt=adam:lr=0.05&opt=momentum:lr=0.002&scrub=lr",
        "/sweep?surface=himmelblau&x=x%3D-5%3A5%3A24&y=y%3D-5%3A5%3A24&metric=basin&opt=adam%3Alr%3D0.1&steps=200",
        "/compare?opt=adam&opt=momentum&surfaces=bowl,booth&starts=1&budget=4&steps=200",
    ]
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": width, "height": 1000}, is_mobile=width < 500)
        for link in links:
            page = context.new_page()
            page.goto(server + link)
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=180_000)
            _script_idle(page)
            time.sleep(1)
            assert _legend_overlaps(page) == [], link
            page.close()
        browser.close()


SCRUBBED_JS = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    if (el.data && el.layout.sliders && !el.layout.scene) {  // the top view, scrubbable
      const s = el.layout.sliders[0];
      const t = el._fullData.find(d => d.name && d.name.startsWith('Adam'));
      return {active: s.active, value: s.steps[s.active].value, x: Array.from(t.x), y: Array.from(t.y)};
    }
  }
  return null;
}"""


def test_scrubbing_draws_optviz_runs_path_at_each_value_without_a_message_to_the_server(server):
    from playwright.sync_api import sync_playwright

    link = "/?surface=himmelblau&start=-0.3,-0.9&steps=200&opt=adam:lr=0.05&opt=momentum:lr=0.002&scrub=lr"
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        sent: list[str] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append("frame")))
        page.goto(server + link)
        page.wait_for_function(f"({SCRUBBED_JS})() !== null", timeout=120_000)
        time.sleep(1.0)  # the page settled: its own messages (the link written back, say) are out
        first = page.evaluate(SCRUBBED_JS)
        assert first["value"] == "0.05"
        rail = page.locator(".js-plotly-plot").nth(1).locator(".slider-rail-rect").bounding_box()
        before, seen = len(sent), []
        for fraction in (0.1, 0.5, 0.9):
            page.mouse.click(rail["x"] + rail["width"] * fraction, rail["y"] + rail["height"] / 2)
            # Adam's first step is lr * sign(g): the path's second point moves with every new lr
            was = (seen[-1] if seen else first)["x"][1]
            page.wait_for_function(f"({SCRUBBED_JS})().x[1] !== {was!r}")
            seen.append(page.evaluate(SCRUBBED_JS))
        assert len(sent) == before  # scrubbing is the browser's alone
        for shown in seen:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "optviz",
                    "run",
                    "--surface",
                    "himmelblau",
                    "--start=-0.3,-0.9",
                    "--steps",
                    "200",
                ]
                + ["--opt", f"adam:lr={shown['value']}", "--json"],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            path = json.loads(out.stdout)["runs"][0]["path"]
            n = len(path)
            assert len(shown["x"]) == 201 and all(math.isnan(v) for v in shown["x"][n:])  # NaN after a divergence
            for (x, y), sx, sy in zip(path, shown["x"], shown["y"]):
                assert abs(x - sx) <= 1e-5 + 1e-5 * abs(x) and abs(y - sy) <= 1e-5 + 1e-5 * abs(y)
        page.screenshot(path=os.path.join(ARTIFACTS, "scrub.png"))
        browser.close()


CELL_PATH_JS = """() => {
  const el = document.querySelector('.st-key-sw_cell_path .js-plotly-plot');
  const t = el && el._fullData && el._fullData.find(d => d.mode === 'lines+markers' && d.name !== 'start');
  return t ? {dash: t.line.dash, x: Array.from(t.x), y: Array.from(t.y)} : null;
}"""


def test_pointing_at_a_sweep_cell_draws_the_nearest_previewed_path_without_a_message(server):
    from playwright.sync_api import sync_playwright

    from optviz.core.engine.sweep import cell_settings
    from optviz.core.engine.trajectory import run_one
    from optviz.core.problems.surfaces import SURFACES
    from optviz.link import SweepConfig

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        sent: list[str] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append("frame")))
        for _ in range(30):  # the previews come once this server has compiled the fans (after its warm-up)
            page.goto(server + "/sweep")
            page.wait_for_function(f"({CELL_PATH_JS})() !== null", timeout=120_000)
            if page.locator(".st-key-sw_hover").count():
                break
            time.sleep(3)
        time.sleep(1.0)
        inspected = page.evaluate(CELL_PATH_JS)
        heat = page.locator(".st-key-sw_heat_0 .js-plotly-plot .nsewdrag").first.bounding_box()
        before = len(sent)
        page.mouse.move(heat["x"] + heat["width"] * 0.8, heat["y"] + heat["height"] * 0.2)
        page.wait_for_function(f"({CELL_PATH_JS})().dash === 'dot'", timeout=5_000)
        shown = page.evaluate(CELL_PATH_JS)
        row, col = map(int, page.locator("[data-preview]").get_attribute("data-preview").split(","))
        assert len(sent) == before  # the preview is the browser's alone
        cfg = SweepConfig()
        spec, start = cell_settings(cfg.specs[0], cfg.x, cfg.y, row, col, cfg.start)
        path = run_one(SURFACES[cfg.surface], start, cfg.steps, spec).path
        idx = np.unique(np.linspace(0, len(path) - 1, min(len(path), 120)).round().astype(int))
        np.testing.assert_allclose(shown["x"], path[idx, 0], atol=2e-4)
        np.testing.assert_allclose(shown["y"], path[idx, 1], atol=2e-4)
        assert col > cfg.x.n / 2 and row > cfg.y.n / 2  # the cell under the pointer: large lr, large b1
        page.mouse.move(5, 5)  # away: the inspected cell's own path again
        page.wait_for_function(f"({CELL_PATH_JS})().dash === 'solid'", timeout=5_000)
        assert page.evaluate(CELL_PATH_JS) == inspected
        # A click while previewing brings that cell's own run; leaving then must not put back the old one
        page.mouse.move(heat["x"] + heat["width"] * 0.8, heat["y"] + heat["height"] * 0.2)
        page.wait_for_function(f"({CELL_PATH_JS})().dash === 'dot'", timeout=5_000)
        page.mouse.click(heat["x"] + heat["width"] * 0.8, heat["y"] + heat["height"] * 0.2)
        page.wait_for_function(
            f"(v => v && v.dash === 'solid' && v.x[1] !== {inspected['x'][1]!r})(({CELL_PATH_JS})())"
        )
        clicked = page.evaluate(CELL_PATH_JS)
        page.mouse.move(5, 5)
        time.sleep(1.0)
        assert page.evaluate(CELL_PATH_JS) == clicked
        browser.close()


def _one_of_each_shape(links: list[str]) -> list[str]:
    """The first link of each shape: its page and the names in its query (a scrub, a custom
    formula, a rule, a sweep, an MNIST run...)."""
    shapes: dict[tuple, str] = {}
    for link in links:
        url = urlparse(link)
        shapes.setdefault((url.path, tuple(sorted(parse_qs(url.query)))), link)
    return list(shapes.values())


def test_each_shape_of_try_it_link_on_learn_opens_its_view_in_the_browser_without_a_warning(server):
    """Every Try-it link is opened in-process (tests/app/test_learn.py); here, through the real
    server and its URL handling, one link of each shape (24 links were 147 s of the suite)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/learn")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 8", timeout=180_000)
        _script_idle(page)
        links = page.evaluate(
            """() => Array.from(document.querySelectorAll('p')).filter(p => p.innerText.startsWith('Try it'))
                 .flatMap(p => Array.from(p.querySelectorAll('a')).map(a => a.getAttribute('href')))"""
        )
        assert len(links) >= 15 and len(set(links)) == len(links)
        shapes = _one_of_each_shape(links)
        assert {urlparse(link).path for link in shapes} == {"/", "/sweep", "/mnist"} and len(shapes) >= 5
        for batch in (shapes[i : i + 4] for i in range(0, len(shapes), 4)):  # four at a time: the server overlaps them
            views = []
            for link in batch:
                view = browser.new_page(viewport={"width": 1400, "height": 1000})
                view.goto(server + link, wait_until="commit")
                views.append(view)
            for link, view in zip(batch, views):
                view.wait_for_function(
                    "() => document.querySelectorAll('.js-plotly-plot').length >= 1", timeout=180_000
                )
                _script_idle(view)
                warnings = view.locator('[data-testid="stAlertContentWarning"], [data-testid="stAlertContentError"]')
                assert warnings.all_inner_texts() == [], link
                view.close()
        browser.close()


def test_learn_on_a_phone_is_one_column_of_full_width_figures_each_control_under_its_figure(server):
    """390x844: no sideways scrolling, every figure as wide as the text column and none overlapping,
    every control of the page in the main column (none in the sidebar) and under a figure."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(server + "/learn")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 14", timeout=180_000)
        _script_idle(page)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 391
        column = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
        inner = column["width"] - 2 * 16  # Streamlit's padding at this width, at most
        charts = page.evaluate(BOXES_JS)
        for i, a in enumerate(charts):
            assert a["box"][2] - a["box"][0] >= 0.9 * inner, a
            for b in charts[i + 1 :]:
                assert _overlap(a["box"], b["box"]) == 0, (a, b)
        assert page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').count() == 0
        controls = page.locator('[data-testid="stMain"] [data-testid="stSlider"], [data-testid="stMain"] .stRadio')
        tops = [box["y"] for box in (c.bounding_box() for c in controls.all()) if box]
        assert len(tops) >= 12
        chart_bottoms = [c["box"][3] for c in charts]
        for top in tops:  # a figure ends just above each control: controls sit under their figures
            gap = top - max(bottom for bottom in chart_bottoms if bottom <= top + 1)
            assert gap <= 120, (top, gap)
        browser.close()

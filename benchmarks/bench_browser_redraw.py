"""Slider nudge to new paths on screen, in a real browser: the app against a bare page.

Run:  .venv/bin/python benchmarks/bench_browser_redraw.py [--nudges N]
Starts `streamlit run app.py` and `streamlit run benchmarks/bare_page.py` (the same charts,
nothing else) on loopback, nudges the first learning-rate slider with the keyboard in
Debian's chromium, and times until the top view's first path has changed. Prints p50 and
p90 for both, and the app's ratio to the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import Server

FIRST_PATH = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    const d = el._fullData;
    if (d && d[0] && d[0].type === 'contour') {
      const t = d.find(tr => tr.type === 'scatter' && tr.mode === 'lines+markers' && tr.name !== 'start');
      return t ? Array.from(t.x).slice(-3).join(',') : null;
    }
  }
  return null;
}"""


def measure(script: str, nudges: int, browser) -> list[float]:
    """Milliseconds from each keypress to the changed path being drawn."""
    with Server(script=script) as server:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(server.base + "/")
        page.wait_for_function(f"({FIRST_PATH})() !== null", timeout=120_000)
        time.sleep(1.0)
        slider = page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="lr"]').first
        slider.focus()
        times = []
        for i in range(nudges + 2):
            before = page.evaluate(FIRST_PATH)
            key = "ArrowRight" if (i // 2) % 2 == 0 else "ArrowLeft"  # wander between neighbouring stops
            t0 = time.perf_counter()
            page.keyboard.press(key)
            page.wait_for_function(f"({FIRST_PATH})() !== {before!r}", timeout=30_000)
            if i >= 2:  # the first two include one-time work (compiles, lazy imports)
                times.append(1000 * (time.perf_counter() - t0))
            time.sleep(0.3)
        page.close()
        return times


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--nudges", type=int, default=20)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        app = measure("app.py", args.nudges, browser)
        bare = measure(os.path.join("benchmarks", "bare_page.py"), args.nudges, browser)
        browser.close()
    for name, ms in (("optviz Surfaces page", app), ("bare Streamlit+Plotly page (floor)", bare)):
        print(
            f"{name}: nudge to new path on screen p50 {statistics.median(ms):.0f} ms, "
            f"p90 {sorted(ms)[int(0.9 * (len(ms) - 1))]:.0f} ms over {len(ms)} nudges"
        )
    print(f"app / floor (p50): {statistics.median(app) / statistics.median(bare):.2f}")


if __name__ == "__main__":
    main()

"""The what-if scrubber as a user meets it, beside the same-content page's slider round trip.

Run:  .venv/bin/python benchmarks/bench_scrub.py [--rounds N] [--loads N]

Starts `streamlit run app.py` and the bare Streamlit+Plotly page drawing the same five charts
(benchmarks/bare_page.py, 500-step paths) on loopback, opens both in Debian's chromium, and
interleaves, round by round:
- a scrub step on the app's top view (a click on the slider's rail) until the racer's new path is
  on screen, counting the websocket frames the page sends meanwhile (the target: none);
- a nudge of the bare page's lr slider (the keyboard) until its new path is on screen.
Then page loads of the app's link with and without the scrubber, interleaved: time until the
top view is drawn, and the bytes the server sent. Last, in this process, the fan's cost: 48
runs of 500 steps in one vmapped call against one run, best of many, interleaved.
Targets (issue "Instant what-if"): scrub median <= 0.1x the bare round trip; payload < 2 MB;
first draw with the fan <= 1.2x without; the fan of 48 <= 2x one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_browser_redraw import FIRST_PATH  # the bare page's first path, as that benchmark reads it
from protocol import Server

LINK = "/?surface=himmelblau&start=-0.3,-0.9&steps=500&opt=adam:lr=0.05&opt=momentum:lr=0.002&opt=adagrad:lr=0.1"
BARE = "/?charts=5&steps=500"
SCRUBBED = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    if (el._fullData && el.layout.sliders && !el.layout.scene) {  // the top view, scrubbable
      const t = el._fullData.find(d => d.name && d.name.startsWith('Adam'));
      return t ? t.x[1] : null;
    }
  }
  return null;
}"""
TOP_DRAWN = """(scrub) => Array.from(document.querySelectorAll('.js-plotly-plot')).some(el =>
  el._fullData && !el.layout.scene && (scrub ? !!el.layout.sliders : el.data[0].type === 'contour')
  && el._fullData.some(d => d.name && d.name.startsWith('Adam')))"""


def _pct(ms: list[float], q: float) -> float:
    return sorted(ms)[int(q * (len(ms) - 1))]


def open_scrubber(browser, base: str):
    """The app's page with the scrubber, settled, and the list its sent frames go to."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(1)))
    page.goto(base + LINK + "&scrub=lr")
    page.wait_for_function(f"({SCRUBBED})() !== null", timeout=180_000)
    time.sleep(1.5)
    return page, sent


def open_bare(browser, base: str):
    """The bare page, settled, its lr slider focused."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(base + BARE)
    page.wait_for_function(f"({FIRST_PATH})() !== null", timeout=120_000)
    time.sleep(1.0)
    page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="lr"]').first.focus()
    return page


def scrub_step(page, fraction: float) -> float:
    """Milliseconds from a click on the rail to the racer's new path in the figure."""
    rail = page.locator(".js-plotly-plot").nth(1).locator(".slider-rail-rect").bounding_box()
    was = page.evaluate(SCRUBBED)
    t0 = time.perf_counter()
    page.mouse.click(rail["x"] + rail["width"] * fraction, rail["y"] + rail["height"] / 2)
    page.wait_for_function(f"({SCRUBBED})() !== {was!r}", polling="raf", timeout=10_000)
    return 1000 * (time.perf_counter() - t0)


def bare_nudge(page, i: int) -> float:
    """Milliseconds from a keypress on the bare page's slider to its new path on screen."""
    before = page.evaluate(FIRST_PATH)
    t0 = time.perf_counter()
    page.keyboard.press("ArrowRight" if (i // 2) % 2 == 0 else "ArrowLeft")
    page.wait_for_function(f"({FIRST_PATH})() !== {before!r}", polling="raf", timeout=30_000)
    return 1000 * (time.perf_counter() - t0)


def load(browser, base: str, scrub: bool) -> tuple[float, int]:
    """Seconds until the top view is drawn, and the bytes received over the websocket."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    got: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: got.append(len(f))))
    t0 = time.perf_counter()
    page.goto(base + LINK + ("&scrub=lr" if scrub else ""))
    page.wait_for_function(TOP_DRAWN, arg=scrub, timeout=180_000)
    seconds = time.perf_counter() - t0
    time.sleep(0.5)
    page.close()
    return seconds, sum(got)


def browser_rounds(rounds: int, loads: int) -> None:
    from playwright.sync_api import sync_playwright

    with Server("app.py") as app, Server(os.path.join("benchmarks", "bare_page.py")) as bare, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        scrub_page, sent = open_scrubber(browser, app.base)
        bare_page = open_bare(browser, bare.base)
        scrubs, nudges, frames = [], [], 0
        for i in range(rounds + 2):
            before = len(sent)
            ms = scrub_step(scrub_page, 0.05 + 0.9 * ((i * 7) % 20) / 19)
            frames += len(sent) - before
            nudge = bare_nudge(bare_page, i)
            if i >= 2:
                scrubs.append(ms)
                nudges.append(nudge)
            time.sleep(0.3)
        scrub_page.close()
        bare_page.close()
        with_fan, without = [], []
        for _ in range(loads):
            without.append(load(browser, app.base, False))
            with_fan.append(load(browser, app.base, True))
        browser.close()
    print(f"scrub step to new path on screen: p50 {statistics.median(scrubs):.0f} ms, p90 {_pct(scrubs, 0.9):.0f} ms")
    print(f"bare page slider round trip:      p50 {statistics.median(nudges):.0f} ms, p90 {_pct(nudges, 0.9):.0f} ms")
    print(f"scrub / round trip (p50): {statistics.median(scrubs) / statistics.median(nudges):.3f} (target <= 0.1)")
    print(f"websocket frames sent while scrubbing {len(scrubs) + 2} steps: {frames} (target 0)")
    first, plain = min(s for s, _ in with_fan), min(s for s, _ in without)
    print(
        f"first draw with the fan {first:.2f} s, without {plain:.2f} s (best of {loads}): "
        f"{first / plain:.2f}x (target <= 1.2)"
    )
    print(
        f"bytes received on load: with the fan {max(b for _, b in with_fan) / 1e6:.2f} MB, "
        f"without {max(b for _, b in without) / 1e6:.2f} MB (target < 2 MB)"
    )


def fan_cost(repeats: int = 30) -> None:
    """48 runs of 500 steps in one call against one run, in this process (best of ``repeats``)."""
    from optviz.core.engine.devices import tune_for_this_cpu

    tune_for_this_cpu()
    from optviz.core.engine.fan import FAN_SIZE, fan_values, run_fan
    from optviz.core.engine.fan import warm_up as compile_fans
    from optviz.core.engine.trajectory import run_one
    from optviz.core.engine.trajectory import warm_up as compile_paths
    from optviz.core.problems.surfaces import SURFACES
    from optviz.core.spec import make_spec

    compile_paths()
    print(f"compiling Adam's fan program, as a server's first scrub does: {compile_fans(['adam']):.2f} s")
    ones, fans = [], []
    for name, key in (("rosenbrock", "lr"), ("himmelblau", "b1"), ("rastrigin", "lr")):  # no compile for any
        surface, spec = SURFACES[name], make_spec("adam", {"lr": 0.01})
        values = fan_values(spec, key, FAN_SIZE, surface.start, None, 500)
        for _ in range(repeats):
            t = time.perf_counter()
            run_one(surface, surface.start, 500, spec)
            ones.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_fan(surface, surface.start, 500, spec, key, values)
            fans.append(time.perf_counter() - t)
    print(
        f"fan of {FAN_SIZE} x 500 steps: best {1000 * min(fans):.1f} ms, "
        f"median {1000 * statistics.median(fans):.1f} ms; "
        f"one run: best {1000 * min(ones):.2f} ms, median {1000 * statistics.median(ones):.2f} ms; "
        f"ratio of bests {min(fans) / min(ones):.1f}x (target <= 2)"
    )


def fan_alternatives(repeats: int = 30) -> None:
    """The fan's two programs and the sweep kernel, each timed on 48 Adam runs of 500 steps on
    Rosenbrock (b1 = 0.8, b2 = 0.99 from (-1.5, 2), chaotic at the top of the lr range, as
    tests/core/engine/test_fan.py checks): the plain program a racer without clipping or a
    schedule gets, the full step (a clipping or scheduled racer's), and the sweep kernel (runs as
    the last axis), beside one run; then how far each fan program's member at the top lr is from
    `run_one` there."""
    from optviz.core.engine.devices import tune_for_this_cpu

    tune_for_this_cpu()  # the app's XLA settings: the last-bit differences below depend on them
    import jax
    import numpy as np

    from optviz.core.engine import fan as fans
    from optviz.core.engine import packed
    from optviz.core.engine.sweep import compiled_sweep
    from optviz.core.engine.trajectory import noise_input, run_one
    from optviz.core.optimizers import REGISTRY
    from optviz.core.optimizers import schedule as sched
    from optviz.core.problems.surfaces import SURFACES
    from optviz.core.spec import make_spec

    surface, spec, start = SURFACES["rosenbrock"], make_spec("adam", {"lr": 0.02, "b1": 0.8, "b2": 0.99}), (-1.5, 2.0)
    values = fans.fan_values(spec, "lr", fans.FAN_SIZE, start, None, 500)
    starts = np.tile(np.asarray(start, np.float32), (fans.MAX_FAN, 1))
    hvecs = np.zeros((fans.MAX_FAN, packed.VSIZE), np.float32)
    for i in range(fans.MAX_FAN):
        hvecs[i] = packed.pack_hparams("adam", {**spec.settings(), "lr": float(values[min(i, len(values) - 1)])})
    programs = {plain: fans._program_for(surface, "adam", plain) for plain in (True, False)}

    def fan_of(plain: bool):
        runner, s, o = programs[plain]
        args = (np.int32(s), np.int32(o), starts, hvecs, np.int32(500), np.float32(0), noise_input(0.0, 0))
        return lambda: jax.block_until_ready(runner(*args))

    kernel = compiled_sweep("adam", surface, 500)
    hps = {h.name: np.full(fans.MAX_FAN, spec.settings()[h.name], np.float32) for h in REGISTRY["adam"].hparams}
    hps["lr"] = hvecs[:, 0].copy()
    hps.update({k: np.float32(sched.DEFAULTS[k]) for k in sched.NAMES})
    sweep_args = (starts, hps, np.int32(500), np.float32(1e-3), np.float32(0), np.float32(0), np.int32(0))
    sides = {
        "one run": lambda: run_one(surface, start, 500, spec),
        "fan, plain program": fan_of(True),
        "fan, full step": fan_of(False),
        "sweep kernel": lambda: jax.block_until_ready(kernel(*sweep_args)),
    }
    for side in sides.values():
        side()  # compiled before timing
    best = {name: float("inf") for name in sides}
    for _ in range(repeats):
        for name, side in sides.items():
            t = time.perf_counter()
            side()
            best[name] = min(best[name], time.perf_counter() - t)
    print(f"{fans.MAX_FAN} runs of 500 steps: " + "; ".join(f"{n}: best {1000 * t:.2f} ms" for n, t in best.items()))
    top = int(np.argmax(values))
    one = run_one(surface, start, 500, make_spec("adam", {**spec.settings(), "lr": float(values[top])}))
    for plain in (True, False):
        points = np.asarray(fan_of(plain)()[0])[top, : len(one.path) - 1]
        apart = np.abs(points - one.path[1:]).max(axis=1)
        first = int(np.argmax(apart > 0)) + 1 if (apart > 0).any() else None
        print(
            f"{'plain' if plain else 'full-step'} fan at lr={values[top]:.3g} against run_one: "
            f"first differs at step {first}, largest distance {apart.max():.3g} over 500 steps"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--loads", type=int, default=4)
    args = parser.parse_args()
    fan_cost()
    fan_alternatives()
    browser_rounds(args.rounds, args.loads)


if __name__ == "__main__":
    main()

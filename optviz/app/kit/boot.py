"""Start-up, once per server process: heavy imports, compiled programs, a frozen heap.

:func:`boot` imports JAX and the compute core, compiles (or loads from the persistent cache)
every program a page could need (optviz.core.warmup), then calls ``gc.freeze()``: the objects that
live as long as the process (modules, compiled programs, cached grids) move out of the
garbage collector's sight, so a collection, when one runs, no longer walks them. The server
launcher (optviz.app.launch) boots before it accepts a connection; under plain
``streamlit run`` (a hosted app) the first script run starts it and the default views are
drawn from the shipped first-paint record meanwhile.

A first visit also gets a head start: a light placeholder chart is sent before the heavy
imports. The browser loads Plotly.js (a large script) and sets up WebGL only when the first
chart arrives, so it does that while the server boots, instead of after.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from collections.abc import Callable, Hashable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from optviz.app.kit.cache import Shared, on_miss

# Streamlit runs each session's script in its own thread. On a fresh server, several first
# visits import numpy, JAX, Plotly and pandas at once, and Python's import-deadlock detection
# can then hand one thread a partially initialised module. Page scripts import through this
# lock, so the first visit imports and the others wait; afterwards it is uncontended.
IMPORT_LOCK = threading.Lock()


def release_freed_memory() -> None:
    """Hand memory that was freed back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Compiling a program and training a model allocate and free hundreds of megabytes in worker
    threads, and glibc keeps the freed pages in its per-thread arenas: a server's RSS then grew
    by 30-50 MB per new CNN program where 10-15 MB stay in use (measured). Called after warm-up
    and after each job, it takes a few milliseconds."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def placeholder():
    """On a session's first run, show a loading chart and return its slot (else None)."""
    if "race" in st.session_state:
        return None
    from optviz.app.kit.charts import Checked  # sent as it is: no go.Figure built from it first

    slot = st.empty()
    slot.plotly_chart(
        Checked(
            {
                "data": [
                    {
                        "type": "scatter3d",
                        "x": [0],
                        "y": [0],
                        "z": [0],
                        "mode": "markers",
                        "marker": {"size": 1, "opacity": 0},
                    }
                ],
                "layout": {
                    "height": 60,
                    "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                    "scene": {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "zaxis": {"visible": False}},
                    "annotations": [
                        {
                            "text": "Loading the surfaces…",
                            "showarrow": False,
                            "x": 0.5,
                            "y": 0.5,
                            "xref": "paper",
                            "yref": "paper",
                        }
                    ],
                },
            }
        ),
        key="warmup",
        config={"displayModeBar": False},
    )
    return slot


_booted: dict[str, float] = {}
_boot_lock = threading.Lock()
WARM = threading.Event()  # clear only while a warm-up is under way
WARM.set()
_here = threading.local()  # .warming: this thread is the warm-up (it must not wait for itself)
EXPECTED_WARM_UP = 12.0  # seconds a cold warm-up takes on a 2-core machine (for the progress bar)
# A background warm-up waits for a lull: compiling takes both cores, and a class that arrives
# together draws its first pages (from the shipped record) twice as fast without it. It starts
# once no page has run for QUIET seconds and a browser has drawn a page of this server, at the
# lowest CPU priority. (QUIET was 0.3 s; with 2.5 s, the lowest priority and an unvalidated
# placeholder, a cold hosted first visit in Chromium on the same 2-core machine took 4.8-5.5 s
# against 5.5-6.5 s, three runs each, interleaved.)
# - A browser draws a first page for seconds after the script has sent it, and a compile beside
#   it slowed it, even at the lowest priority, on a machine that runs both: so the share box
#   (optviz.app.kit.share) says when its page is drawn (DRAWN). Cold hosted first visits, 5
#   interleaved on a 2-core machine: 1.30x the bare page's with this, 1.73x before (medians;
#   docs/performance.md). A browser on another machine says so about a second after its page.
# - A page that waits for the warm-up (a view that needs a program) ends the wait at once: the
#   lull is for first pages, which draw from the record; a class that nudges leaves none, and its
#   nudges waited out the whole deferral before the compile began.
# - MAX_DEFER seconds after the first page began (the boot) it starts anyway: for clients that
#   never say (no JavaScript, a tab in the background).
QUIET, MAX_DEFER = 2.5, 20.0
_activity = {"running": 0, "last": 0.0, "waiting": 0}
_activity_lock = threading.Lock()
DRAWN = threading.Event()  # set once a browser has drawn a page of this server
_lull_over = threading.Event()  # set once the warm-up stops waiting for a lull


class page_run:
    """Context for one script run of a page: the warm-up waits while any is under way."""

    def __enter__(self) -> None:
        with _activity_lock:
            _activity["running"] += 1

    def __exit__(self, *exc: object) -> None:
        with _activity_lock:
            _activity["running"] -= 1
            _activity["last"] = time.monotonic()


def page_drawn() -> None:
    """A browser has finished drawing a page of this server (the share box says so)."""
    DRAWN.set()


def wants_a_drawn_page() -> bool:
    """Whether the background warm-up still waits for a browser to finish drawing a page."""
    return not WARM.is_set() and not _lull_over.is_set() and not DRAWN.is_set()


def _wait_for_a_lull() -> str:
    """Until no page has run for QUIET seconds and a browser has drawn one, or a page or job waits
    for the warm-up, or MAX_DEFER seconds have passed; returns which."""
    deadline = time.monotonic() + MAX_DEFER
    try:
        while time.monotonic() < deadline and threading.main_thread().is_alive():
            with _activity_lock:
                quiet = _activity["running"] <= 0 and time.monotonic() - _activity["last"] >= QUIET
                needed = _activity["waiting"] > 0
            if needed:
                return "a view is waiting for it"
            if quiet and DRAWN.is_set():
                return "a browser has drawn a page"
            time.sleep(0.05)
        return f"{MAX_DEFER:g} s after the first page"
    finally:
        _lull_over.set()


def boot(import_pages: Callable[[], None] | None = None, background: bool = False) -> dict[str, float]:
    """Prepare the process (once; later calls return at once); returns the seconds each part took.

    First, on the calling thread: JAX's devices, the compilation cache, the pages' modules
    (``import_pages``, optviz.app.pages.import_all, so a first visit imports nothing) and the
    caches primed with every page's default view (optviz.app.kit.first_paint). Then the
    warm-up: every program a page could need compiled (optviz.core.warmup), every surface's
    grid, and the heap frozen. The launcher waits for it before it serves; a plain
    ``streamlit run`` (a hosted app) runs it in the background (``background``), so its first
    visitors see the default views at once, and a view that needs a program waits for the
    warm-up with a progress bar (:func:`wait_until_warm`) instead of compiling it a second time.
    """
    with _boot_lock:
        if not _booted:
            WARM.clear()
            _booted.update(_prepare(import_pages))
            if background:
                # Not a daemon: a process that ended while a daemon thread ran XLA aborted (a test
                # that ended during the warm-up). It stops at its next compile instead.
                threading.Thread(target=_warm_up, args=(True,), name="optviz-warm-up", daemon=False).start()
            else:
                _warm_up()
    if not background:
        WARM.wait()
    return _booted


def _prepare(import_pages: Callable[[], None] | None) -> dict[str, float]:
    t = time.perf_counter()
    from optviz.core.engine.devices import enable_compilation_cache, tune_for_this_cpu

    tune_for_this_cpu()  # the launcher boots before any page: JAX's devices are set up here
    enable_compilation_cache()
    if import_pages is not None:
        import_pages()
    times = {"imports": time.perf_counter() - t}
    t = time.perf_counter()
    from optviz.app.kit.first_paint import prime, read
    from optviz.app.kit.store import connect_from_environment

    connect_from_environment()  # replicas' shared results, if OPTVIZ_REDIS_URL names a store
    prime(read())
    on_miss(wait_until_warm)
    times["first paint"] = time.perf_counter() - t
    return times


def _warm_up(in_a_lull: bool = False) -> None:
    _here.warming = True
    from optviz.core.engine import compiled  # JAX: imported by now (_prepare), not before a first page's placeholder

    try:
        if in_a_lull:  # the background warm-up of a hosted server, beside visitors' pages
            print(f"optviz: compiling in the background now: {_wait_for_a_lull()}", file=sys.stderr, flush=True)
        from optviz.app.kit.runs import warm_grids
        from optviz.core.warmup import warm_up

        # In the background, the default views' racers first: a class nudging them waits for
        # their program (about 2 s), not the catalogue's (9 s); the launcher serves only when
        # all is warm, so it needs no first program. And XLA's compiles at the lowest CPU
        # priority, so that a page, or on one machine the browser drawing the first page, is
        # not slowed by them.
        first = first_racers() if in_a_lull else ()
        with compiled.quietly() if in_a_lull else contextlib.nullcontext():
            _booted.update(warm_up(fans=False, first=first, grids=warm_grids, after=_stage_done))
        gc.collect()
        gc.freeze()
        release_freed_memory()
    except compiled.Ending:  # the process is ending: nothing left to warm
        pass
    except Exception as err:  # a page then compiles what it needs itself, as before
        print(f"optviz: warm-up failed ({err!r}); pages will compile on demand", file=sys.stderr)
    finally:
        WARM.set()
        _stage_done()


def first_racers() -> tuple[str, ...]:
    """The optimizers of the pages' default views (Surfaces, Compare, Sweep), in that order."""
    from optviz.link import CompareConfig, SurfacesConfig, SweepConfig

    specs = (*SurfacesConfig().race.specs, *CompareConfig().specs, SweepConfig().opt)
    return tuple(dict.fromkeys(spec.name for spec in specs))


_stages = threading.Condition()  # notified as each part of the warm-up is done


def _stage_done(_stage: str = "") -> None:
    with _stages:
        _stages.notify_all()


def wait_until_warm(cache: Shared | None = None, key: Hashable = None) -> None:
    """Wait for the warm-up, if it is still going; on a page, with a progress bar saying why.
    Called as the caches' miss hook, with the cache that missed and its key: if the cache can
    tell (its ``ready``), wait only until what computing that key needs is compiled."""
    if getattr(_here, "warming", False):
        return

    def warm_enough() -> bool:
        return WARM.is_set() or (cache is not None and cache.ready is not None and cache.ready(key))

    if warm_enough():
        return
    if get_script_run_ctx() is None:  # a worker thread: its job reports the wait (optviz.app.kit.jobs)
        with _activity_lock:
            _activity["waiting"] += 1
        try:
            _wait_for(warm_enough)
        finally:
            with _activity_lock:
                _activity["waiting"] -= 1
        return
    bar, t = st.progress(0.0), time.perf_counter()
    with _activity_lock:  # a page waiting here is a reason to start the warm-up, not to put it off
        _activity["running"] -= 1
        _activity["waiting"] += 1
    try:
        _wait_for(warm_enough, lambda: _show_wait(bar, time.perf_counter() - t))
    finally:
        with _activity_lock:
            _activity["running"] += 1
            _activity["waiting"] -= 1
    bar.empty()


def _wait_for(done: Callable[[], bool], meanwhile: Callable[[], None] | None = None) -> None:
    """Until ``done()``: checked as each part of the warm-up ends, and every 0.25 s (``meanwhile``)."""
    while not done():
        with _stages:
            _stages.wait(0.25)
        if meanwhile is not None and not done():
            meanwhile()


def _show_wait(bar: DeltaGenerator, waited: float) -> None:
    bar.progress(
        min(waited / EXPECTED_WARM_UP, 0.95),
        text=f"Warming up: this server has just started and is compiling its programs, once "
        f"(about {EXPECTED_WARM_UP:.0f} s in all; {waited:.0f} s so far)",
    )

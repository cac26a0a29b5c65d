"""Start-up, once per server process: heavy imports, compiled programs, a frozen heap.

:func:`boot` imports JAX and the compute core, compiles (or loads from the persistent cache)
every program a page could need (optviz.core.warmup), then calls ``gc.freeze()``: the objects that
live as long as the process (modules, compiled programs, cached grids) move out of the
garbage collector's sight, so a collection, when one runs, no longer walks them. The server
launcher (optviz.app.launch) boots before it accepts a connection; under plain
``streamlit run`` the first script run does it.

A first visit also gets a head start: a light placeholder chart is sent before the heavy
imports. The browser loads Plotly.js (a large script) and sets up WebGL only when the first
chart arrives, so it does that while the server boots, instead of after.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

import streamlit as st

# Streamlit runs each session's script in its own thread. On a fresh server, several first
# visits import numpy, JAX, Plotly and pandas at once, and Python's import-deadlock detection
# can then hand one thread a partially initialised module. Page scripts import through this
# lock, so the first visit imports and the others wait; afterwards it is uncontended.
IMPORT_LOCK = threading.Lock()


def placeholder():
    """On a session's first run, show a loading chart and return its slot (else None)."""
    if "race" in st.session_state:
        return None
    slot = st.empty()
    slot.plotly_chart(
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
        },
        key="warmup",
        config={"displayModeBar": False},
    )
    return slot


_booted: dict[str, float] = {}


def boot(import_pages: Callable[[], None] | None = None) -> dict[str, float]:
    """Prepare the process (once; later calls return at once); returns the seconds each part took.

    ``import_pages`` (optviz.app.pages.import_all) imports every page, before the heap is frozen,
    so a first visit imports nothing and the pages' modules are frozen with the rest."""
    if _booted:
        return _booted
    t = time.perf_counter()
    from optviz.core.engine.devices import enable_compilation_cache, tune_for_this_cpu

    tune_for_this_cpu()  # the launcher boots before any page: JAX's devices are set up here
    from optviz.core.warmup import warm_up

    enable_compilation_cache()
    if import_pages is not None:
        import_pages()
    times = {"imports": time.perf_counter() - t, **warm_up()}
    from optviz.app.kit.runs import warm_grids

    t = time.perf_counter()
    warm_grids()
    times["grids"] += time.perf_counter() - t
    gc.collect()
    gc.freeze()
    _booted.update(times)
    return _booted

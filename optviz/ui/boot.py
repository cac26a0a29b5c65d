"""A first visit's head start: a light placeholder chart sent before JAX is imported.

The browser loads Plotly.js (a large script) and sets up WebGL only when the first chart
arrives. Sending a placeholder 3D chart first lets that happen while the server imports
JAX and compiles, instead of after.
"""

from __future__ import annotations

import threading

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
    slot.plotly_chart({"data": [{"type": "scatter3d", "x": [0], "y": [0], "z": [0], "mode": "markers",
                                 "marker": {"size": 1, "opacity": 0}}],
                       "layout": {"height": 60, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                                  "scene": {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                                            "zaxis": {"visible": False}},
                                  "annotations": [{"text": "Loading the surfaces…", "showarrow": False,
                                                   "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}]}},
                       key="warmup", config={"displayModeBar": False})
    return slot

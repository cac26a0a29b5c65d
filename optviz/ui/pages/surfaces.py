"""The Surfaces page script (see optviz.ui.surfaces_page)."""

from optviz.ui.warmup import IMPORT_LOCK, placeholder

with IMPORT_LOCK:
    slot = placeholder()  # before the heavy imports below, so the browser starts on Plotly.js
    from optviz.ui.surfaces_page import page

page()
if slot is not None:
    slot.empty()

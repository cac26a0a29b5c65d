"""The Surfaces page script (see optviz.ui.surfaces_page)."""

from optviz.ui.boot import IMPORT_LOCK, boot, placeholder

with IMPORT_LOCK:  # see optviz.ui.boot
    slot = placeholder()  # before the heavy imports below, so the browser starts on Plotly.js
    boot()
    from optviz.ui.surfaces_page import page

page()
if slot is not None:
    slot.empty()

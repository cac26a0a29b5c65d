"""The Sweep page script (see optviz.ui.sweep_page)."""

from optviz.ui.warmup import IMPORT_LOCK

with IMPORT_LOCK:  # see optviz.ui.warmup: concurrent first imports can see half-built modules
    from optviz.ui.sweep_page import page

page()

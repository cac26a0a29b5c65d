"""The Learn page script (see optviz.ui.learn_page)."""

from optviz.ui.warmup import IMPORT_LOCK

with IMPORT_LOCK:  # see optviz.ui.warmup
    from optviz.ui.learn_page import page

page()

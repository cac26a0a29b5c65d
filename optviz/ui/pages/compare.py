"""The Compare page script (see optviz.ui.compare_page)."""

from optviz.ui.boot import IMPORT_LOCK, boot

with IMPORT_LOCK:  # see optviz.ui.boot: concurrent first imports can see half-built modules
    boot()
    from optviz.ui.compare_page import page

page()

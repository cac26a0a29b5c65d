"""The MNIST page script (see optviz.ui.mnist_page)."""

from optviz.ui.warmup import IMPORT_LOCK

with IMPORT_LOCK:  # see optviz.ui.warmup
    from optviz.ui.mnist_page import page

page()

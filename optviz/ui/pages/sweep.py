"""The Sweep page script (see optviz.ui.sweep_page)."""

from optviz.ui.sweep_page import page

page()

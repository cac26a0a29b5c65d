"""The Surfaces page as Streamlit runs it (see optviz.app.pages)."""

from optviz.app.pages import run

run("surfaces")

"""optviz: the Streamlit entry point. Page config and navigation only; the pages live in optviz.ui."""

import streamlit as st

st.set_page_config(page_title="optviz: Adam and its peers", page_icon="📉", layout="wide")


def surfaces() -> None:
    from optviz.ui.warmup import placeholder

    slot = placeholder()  # before the heavy imports below, so the browser starts on Plotly.js
    from optviz.ui.surfaces_page import page

    page()
    if slot is not None:
        slot.empty()


pages = [st.Page(surfaces, title="Surfaces", icon="⛰️", url_path="surfaces", default=True)]
st.navigation(pages).run()

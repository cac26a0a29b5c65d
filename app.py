"""optviz: the Streamlit entry point. Page config and navigation only; the pages live in optviz.ui."""

import streamlit as st

st.set_page_config(page_title="optviz: Adam and its peers", page_icon="📉", layout="wide")


def surfaces() -> None:
    from optviz.ui.surfaces_page import page

    page()


pages = [st.Page(surfaces, title="Surfaces", icon="⛰️", url_path="surfaces", default=True)]
st.navigation(pages).run()

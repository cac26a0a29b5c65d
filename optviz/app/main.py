"""The app as Streamlit runs it: page config, navigation over optviz.app.pages, and a note for
a link to a page that does not exist.

Two scripts run it, each a two-line call of :func:`navigate`: ``app.py`` at a checkout's root
(``streamlit run app.py``, and hosted platforms, which look for it there), and
``optviz/app/streamlit_app.py`` inside the package (``optviz app``, from an installed wheel).
"""

from __future__ import annotations

import os

import streamlit as st

from optviz.app.kit.views import unknown_page
from optviz.app.pages import PAGES, script_path
from optviz.core.engine.devices import tune_for_this_cpu


def navigate(main_script: str) -> None:
    """Run the app whose entry script is ``main_script`` (page scripts are found relative to it)."""
    tune_for_this_cpu()  # before JAX starts its backend: it acts once, in the first run of the process
    st.set_page_config(page_title="optviz: Adam and its peers", page_icon="📉", layout="wide")
    base = os.path.dirname(os.path.abspath(main_script))
    pages = [
        st.Page(
            os.path.relpath(script_path(p), base), title=p.title, icon=p.icon, url_path=p.url_path, default=p.default
        )
        for p in PAGES
    ]
    page = st.navigation(pages)
    asked = unknown_page({p.url_path for p in pages} | {d.url_path for d in PAGES})
    if asked is not None and not st.session_state.get("told_unknown_page"):  # said once, like a link's warnings
        st.session_state["told_unknown_page"] = True
        st.warning(
            f"There is no page /{asked}; here is {page.title}. The pages are: "
            + ", ".join(f"[{p.title}](/{p.url_path})" for p in pages)
            + "."
        )
    page.run()

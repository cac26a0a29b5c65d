"""optviz: the Streamlit entry point (``streamlit run app.py``, and hosted platforms). Page config
and navigation only; the pages are listed in optviz.app.pages and live in optviz.app."""

import streamlit as st

from optviz.app.kit.views import unknown_page
from optviz.app.pages import PAGES

st.set_page_config(page_title="optviz: Adam and its peers", page_icon="📉", layout="wide")

pages = [st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default) for p in PAGES]
page = st.navigation(pages)
asked = unknown_page({p.url_path for p in pages} | {d.url_path for d in PAGES})
if asked is not None and not st.session_state.get("told_unknown_page"):  # said once, like a link's warnings
    st.session_state["told_unknown_page"] = True
    st.warning(f"There is no page /{asked}; here is {page.title}. The pages are: "
               + ", ".join(f"[{p.title}](/{p.url_path})" for p in pages) + ".")
page.run()

"""optviz: the Streamlit entry point. Page config and navigation only; the pages live in optviz.ui."""

import streamlit as st

from optviz.ui.views import unknown_page

st.set_page_config(page_title="optviz: Adam and its peers", page_icon="📉", layout="wide")

pages = [
    st.Page("optviz/ui/pages/surfaces.py", title="Surfaces", icon="⛰️", url_path="surfaces", default=True),
    st.Page("optviz/ui/pages/sweep.py", title="Sweep", icon="🔥", url_path="sweep"),
    st.Page("optviz/ui/pages/mnist.py", title="MNIST", icon="✍️", url_path="mnist"),
    st.Page("optviz/ui/pages/compare.py", title="Compare", icon="🏁", url_path="compare"),
    st.Page("optviz/ui/pages/learn.py", title="Learn", icon="📖", url_path="learn"),
]
page = st.navigation(pages)
asked = unknown_page({p.url_path for p in pages} | {"surfaces"})
if asked is not None and not st.session_state.get("told_unknown_page"):  # said once, like a link's warnings
    st.session_state["told_unknown_page"] = True
    st.warning(f"There is no page /{asked}; here is {page.title}. The pages are: "
               + ", ".join(f"[{p.title}](/{p.url_path})" for p in pages) + ".")
page.run()

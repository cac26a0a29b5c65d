"""Share and export, the same on every page: the link (with a copy button) and the page's downloads."""

from __future__ import annotations

import functools
from typing import Callable, Sequence
from urllib.parse import urlencode

import streamlit as st

from .views import current_params


def share_url() -> str:
    """The full link to this view (relative when the server's address is unknown)."""
    base = ""
    try:
        base = st.context.url or ""
    except Exception:  # outside a browser session (tests), there is no URL to build on
        base = ""
    return f"{base}?{urlencode(current_params(), doseq=True)}"


COPY_BUTTON = """
<button id="b" style="font:14px sans-serif;padding:6px 14px;border-radius:8px;
 border:1px solid #bbb;background:#fff;cursor:pointer">Copy link</button>
<span id="s" style="font:13px sans-serif;margin-left:8px;color:#2e7d32"></span>
<script>
// Reads the address bar at click time (the app keeps it current), so this HTML never changes
// and the frame is not reloaded on every rerun.
document.getElementById('b').onclick = async () => {
  const url = window.parent.location.href;
  try { await navigator.clipboard.writeText(url); }
  catch (e) { const t = document.createElement('textarea'); t.value = url; document.body.appendChild(t);
              t.select(); document.execCommand('copy'); t.remove(); }
  document.getElementById('s').textContent = 'Copied';
};
</script>"""


def copy_button() -> None:
    """A "Copy link" button that copies the page's current address (the share link)."""
    st.iframe(COPY_BUTTON, height=44)


Download = tuple[str, Callable, str, str]  # label, builder (called with the page's arguments), MIME type, extension


def share_section(page: str, downloads: Sequence[Download], *args) -> None:
    """The link that reproduces this view, a Copy link button, and the page's downloads (built when clicked)."""
    st.subheader("Share and export")
    st.caption("This link reproduces exactly what you see; the address bar is kept up to date too.")
    copy_button()
    st.code(share_url(), language=None, wrap_lines=True)
    for column, (label, build, mime, ext) in zip(st.columns(len(downloads)) if downloads else [], downloads):
        column.download_button(label, functools.partial(build, *args), file_name=f"optviz-{page}.{ext}", mime=mime,
                               key=f"dl_{page}_{ext}")
